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
 * The emulator keeps a table per region it was created in, and it has one copy: every caller signs
 * its calls for `tableRegion` (the first replica, the control region, where the stack creates it);
 * which region a call comes from is the proxy it goes through.
 *
 * Each region's calls go through that region's own proxy (`endpoint(region)`); a call answers iff
 * some replica the caller reaches (its own region's, or one in a region it is not cut from) reaches
 * a majority. A cut region's calls are reset at once (AWS would time out: the agent's client has a
 * 2 s request timeout either way). Everything answered is forwarded to `target` (the bench's fault
 * proxy, so its rules still apply).
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

export class StoreNetwork {
  /** Pairs of regions that cannot reach each other ("a|b", sorted). */
  private readonly cuts = new Set<string>();

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
    return network;
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
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}
