import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Client } from 'pg';
import type { ClusterConfig } from '../shared/config/schema';
import { databaseUrlTarget } from '../shared/database-url';

export interface ProbeRound {
  at: number;
  /** Nodes where a new application session could write (a rolled-back write succeeded). */
  writable: string[];
  /** Nodes that accepted the application's connection at all. */
  reachable: string[];
  /** The node the first DATABASE_URL points at, read from SSM. */
  published: string | null;
}

/**
 * Records, every `intervalMs`, which nodes accept a write from a fresh application session and
 * where the published DATABASE_URL leads. Reads SSM straight from the emulator (not through any
 * fault proxy), so an injected fault never hides what applications would see.
 */
export class SplitBrainProbe {
  readonly rounds: ProbeRound[] = [];
  private running = true;
  private loop: Promise<void>;

  private constructor(
    private readonly cluster: ClusterConfig,
    private readonly app: { user: string; password: string },
    private readonly ssm: SSMClient,
    intervalMs: number,
  ) {
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        this.rounds.push(await this.round());
        await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
      }
    })();
  }

  static start(cluster: ClusterConfig, app: { user: string; password: string }, emulator: string, intervalMs = 100): SplitBrainProbe {
    return new SplitBrainProbe(cluster, app, new SSMClient({ region: cluster.databaseUrlParameters[0]!.region, endpoint: emulator }), intervalMs);
  }

  private static async connect(cluster: ClusterConfig, host: string, port: number, app: { user: string; password: string }): Promise<Client> {
    const client = new Client({ host, port, database: cluster.database, ...app, connectionTimeoutMillis: 500, query_timeout: 1000, statement_timeout: 1000 });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  private async tryWrite(host: string, port: number): Promise<'writable' | 'reachable' | 'down'> {
    let client: Client | undefined;
    try {
      client = await SplitBrainProbe.connect(this.cluster, host, port, this.app);
    } catch {
      return 'down';
    }
    try {
      // A write that needs no table (so it works on any timeline) and leaves nothing behind; standbys
      // and read-only sessions refuse it. Nothing commits, so synchronous replication never blocks it.
      await client.query('BEGIN; CREATE TEMP TABLE pgfo_probe (at timestamptz); ROLLBACK');
      return 'writable';
    } catch {
      return 'reachable';
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async round(): Promise<ProbeRound> {
    const at = Date.now();
    const checks = await Promise.all(this.cluster.nodes.map(async (n) => ({ node: n.name, result: await this.tryWrite(n.host, n.port) })));
    let published: string | null = null;
    try {
      const parameter = this.cluster.databaseUrlParameters[0]!;
      const out = await this.ssm.send(new GetParameterCommand({ Name: parameter.name, WithDecryption: true }));
      const target = databaseUrlTarget(out.Parameter?.Value ?? '');
      published = this.cluster.nodes.find((n) => n.host === target.host && n.port === target.port)?.name ?? null;
    } catch {
      published = null;
    }
    return {
      at,
      writable: checks.filter((c) => c.result === 'writable').map((c) => c.node),
      reachable: checks.filter((c) => c.result !== 'down').map((c) => c.node),
      published,
    };
  }

  async stop(): Promise<ProbeRound[]> {
    this.running = false;
    await this.loop;
    return this.rounds;
  }
}

/**
 * The split-brain verdicts over a probe: rounds after the fence where two nodes took writes, and
 * rounds after the repoint where the published endpoint led an application to a node that answered
 * but was not the one writer.
 */
export const splitBrainViolations = (rounds: ProbeRound[], times: { fencedAt: number; repointedAt: number }) => ({
  twoWriters: rounds.filter((r) => r.at >= times.fencedAt && r.writable.length > 1),
  publishedToNonWriter: rounds.filter(
    (r) => r.at >= times.repointedAt && r.published !== null && r.reachable.includes(r.published) && !(r.writable.length === 1 && r.writable[0] === r.published),
  ),
});
