import type { IncomingHttpHeaders } from 'node:http';
import { FaultProxy } from './fault-proxy';

/**
 * The local model of the writer-lease store: a DynamoDB global table with multi-Region strong
 * consistency (MRSC), replicas in two regions and a witness in a third. The one place the local
 * stack models it, because the emulator cannot: moto has a single DynamoDB for every region and no
 * global tables (no replicas, no witness, no multi-Region consistency).
 *
 * AWS facts modelled (Amazon DynamoDB developer guide, "Multi-Region strong consistency", and the
 * CloudFormation reference of AWS::DynamoDB::GlobalTable GlobalTableWitness, read 2026-12):
 * - an MRSC table has three replicas, or two replicas and one witness, in three regions of one
 *   region set (US: us-east-1, us-east-2, us-west-2; EU: eu-west-1, eu-west-2, eu-west-3,
 *   eu-central-1; AP: ap-northeast-1, ap-northeast-2, ap-northeast-3);
 * - a write, or a strongly consistent read, through a replica succeeds only while that replica
 *   reaches a majority of the three regions (itself included); the witness takes part in the
 *   majority but serves no reads or writes;
 * - a region cut off from the other two can neither write nor read strongly (an error, not stale data).
 *
 * The emulator keeps a table per region it was created in, and it has one copy, in `tableRegion`
 * (the first replica, the home control region, where the stack creates it). Two ways in:
 * - the hosts' agents sign for `tableRegion` and go through their region's own proxy
 *   (`endpoint(region)`): which region a call comes from is the proxy it goes through;
 * - the control planes (one stack per control region, several of them in one local process, all
 *   behind one AWS_ENDPOINT_URL_DYNAMODB) use the `entry` endpoint. Deployed, each stack's client
 *   is `dynamoClient(config.controlRegion)`, its own region's replica, and it signs for that region:
 *   the entry reads the caller's region from the request's SigV4 credential scope
 *   (`Credential=AKID/DATE/REGION/dynamodb/aws4_request`), applies that region's path, and rewrites
 *   the scope's region to `tableRegion` before forwarding, so that every region's calls land on the
 *   one copy (the emulator does not check signatures; it takes the region from the scope).
 *
 * A call answers iff some replica the caller reaches (its own region's, or one in a region it is
 * not cut from) reaches a majority. A cut region's calls are reset at once (AWS would time out: the
 * agent's client has a 2 s request timeout either way). Everything answered is forwarded to `target`
 * (the bench's fault proxy, so its rules still apply).
 */
/**
 * The MRSC rule: a call from `from` answers iff a replica it reaches reaches a majority of the
 * three regions (itself included). Pure.
 */
export const storeAnswers = (from: string, store: { replicaRegions: readonly string[]; witnessRegion: string }, reaches: (a: string, b: string) => boolean): boolean => {
  const members = [...store.replicaRegions, store.witnessRegion];
  const majority = Math.floor(members.length / 2) + 1;
  return store.replicaRegions.some((replica) => reaches(from, replica) && members.filter((m) => m === replica || reaches(replica, m)).length >= majority);
};

/**
 * The headers with the SigV4 credential scope's region replaced by `region` (the signature no
 * longer matches; the emulator does not check it). Pure.
 */
export const withScopeRegion = (headers: IncomingHttpHeaders, region: string): IncomingHttpHeaders => {
  const auth = headers.authorization;
  if (typeof auth !== 'string') return headers;
  return { ...headers, authorization: auth.replace(/(Credential=[^/]+\/\d{8}\/)[^/]+\//, `$1${region}/`) };
};

export class StoreNetwork {
  /** Pairs of regions that cannot reach each other ("a|b", sorted). */
  private readonly cuts = new Set<string>();

  /** The control planes' way in (see above); set once started. */
  private entryProxy: FaultProxy | undefined;

  private constructor(
    private readonly proxies: Map<string, FaultProxy>,
    readonly replicaRegions: readonly string[],
    readonly witnessRegion: string,
  ) {}

  static async start(target: string, store: { replicaRegions: readonly string[]; witnessRegion: string }, callerRegions: readonly string[]): Promise<StoreNetwork> {
    const regions = [...new Set([...callerRegions, ...store.replicaRegions, store.witnessRegion])];
    const proxies = new Map<string, FaultProxy>();
    const network = new StoreNetwork(proxies, store.replicaRegions, store.witnessRegion);
    for (const region of regions) {
      const proxy = await FaultProxy.start(target);
      proxy.fail({ match: (info) => info.service === 'dynamodb' && !network.answers(region), status: 'reset', times: Infinity });
      proxies.set(region, proxy);
    }
    const table = network.tableRegion;
    network.entryProxy = await FaultProxy.start(target, { forwardHeaders: (info, headers) => (info.service === 'dynamodb' ? withScopeRegion(headers, table) : headers) });
    // A region the model does not know has no path: fail closed rather than guess one.
    network.entryProxy.fail({ match: (info) => info.service === 'dynamodb' && !(proxies.has(info.region) && network.answers(info.region)), status: 'reset', times: Infinity });
    return network;
  }

  /**
   * The DynamoDB endpoint of the control planes: each call takes the path of the region its SigV4
   * scope names (the stack's own region) and lands on the one copy of the table.
   */
  get entry(): string {
    return this.entryProxy!.endpoint;
  }

  /** The requests the entry saw, each with the region it was signed for (tests: which stack called). */
  get entrySeen(): FaultProxy['seen'] {
    return this.entryProxy!.seen;
  }

  /** The region every local caller signs for: the one copy of the table in the emulator. */
  get tableRegion(): string {
    return this.replicaRegions[0]!;
  }

  /** The DynamoDB endpoint that region's hosts and functions use. */
  endpoint(region: string): string {
    const proxy = this.proxies.get(region);
    if (!proxy) throw new Error(`store network: no path modelled from ${region} (have ${[...this.proxies.keys()].join(', ')})`);
    return proxy.endpoint;
  }

  private static pair(a: string, b: string): string {
    return [a, b].sort().join('|');
  }

  /** Cuts the path between two regions (both ways). */
  cut(a: string, b: string): void {
    if (a !== b) this.cuts.add(StoreNetwork.pair(a, b));
  }

  /** Cuts `region` off from every other region modelled (its path to the other regions' store replicas). */
  isolate(region: string): void {
    for (const other of this.proxies.keys()) this.cut(region, other);
  }

  /** Mends every cut of `region` (every cut when none is named). */
  restore(region?: string): void {
    for (const pair of [...this.cuts]) if (!region || pair.split('|').includes(region)) this.cuts.delete(pair);
  }

  private reaches(from: string, to: string): boolean {
    return from === to || !this.cuts.has(StoreNetwork.pair(from, to));
  }

  /** Does a store call made from `region` answer? */
  answers(region: string): boolean {
    return storeAnswers(region, this, (from, to) => this.reaches(from, to));
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values(), ...(this.entryProxy ? [this.entryProxy] : [])].map((p) => p.close()));
  }
}
