import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface WriterTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/**
 * Writes rows one at a time and remembers which ones the database acknowledged, so that a test can
 * count exactly what a failover lost. A write in flight when the node died is "unknown", not acked.
 */
export class AckedWriter {
  readonly acked: number[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  lastError: string | undefined;
  private connectionError: string | undefined;

  constructor(
    private readonly target: WriterTarget,
    private readonly payloadBytes = 1000,
    readonly table = 'pgfo_acked_writes',
  ) {}

  private connect(): Promise<Client> {
    const client = new Client({ ...this.target, connectionTimeoutMillis: 3000, query_timeout: 5000, application_name: 'pgfo-test-writer' });
    // A session ended while idle surfaces here; the next query then only says the client is not
    // queryable, so the cause is kept for lastError.
    client.on('error', (error: Error) => (this.connectionError ??= error.message));
    return client.connect().then(() => client);
  }

  /** Creates the table (if needed) and starts writing. */
  async start(): Promise<void> {
    this.connectionError = undefined;
    const client = await this.connect();
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (id bigint PRIMARY KEY, payload text NOT NULL)`);
    this.running = true;
    this.loop = (async () => {
      let id = this.acked.at(-1) ?? 0;
      try {
        while (this.running) {
          id += 1;
          // Random text: PostgreSQL would compress a repeated character to almost no WAL.
          const payload = randomBytes(Math.ceil(this.payloadBytes / 2)).toString('hex');
          await client.query(`INSERT INTO ${this.table} (id, payload) VALUES ($1, $2)`, [id, payload]);
          this.acked.push(id);
        }
      } catch (error) {
        this.lastError = this.connectionError ?? (error as Error).message;
      } finally {
        await client.end().catch(() => undefined);
      }
    })();
  }

  /** Stops writing (or notices that the node died) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Acked rows missing from the node now holding the data. */
  async lostOn(target: WriterTarget): Promise<{ acked: number; lost: number; present: number }> {
    const client = new Client({ ...target, connectionTimeoutMillis: 3000, query_timeout: 10000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${this.table}`); // bigint arrives as text
      const present = new Set(rows.map((r) => Number(r.id)));
      const lost = this.acked.filter((id) => !present.has(id)).length;
      return { acked: this.acked.length, lost, present: present.size };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * Commits one small row after another on one session and keeps when each was acknowledged, with no
 * client timeout: a commit waiting on its synchronous standby waits as long as the server makes it
 * (capped by `statement_timeout`), so the longest gap between acknowledgements is what applications
 * saw. Used to measure the stall a lost synchronous standby causes.
 */
export class CommitClock {
  readonly ackedAt: number[] = [];
  lastError: string | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly target: WriterTarget,
    private readonly table = 'pgfo_commit_clock',
    private readonly statementTimeoutMs = 60_000,
  ) {}

  private client: Client | undefined;

  async start(): Promise<void> {
    const client = new Client({ ...this.target, connectionTimeoutMillis: 3000, statement_timeout: this.statementTimeoutMs, application_name: 'pgfo-commit-clock' });
    this.client = client;
    client.on('error', (error: Error) => (this.lastError ??= error.message));
    await client.connect();
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    this.running = true;
    this.loop = (async () => {
      try {
        while (this.running) {
          await client.query(`INSERT INTO ${this.table} DEFAULT VALUES`);
          this.ackedAt.push(Date.now());
          await new Promise((r) => setTimeout(r, 50));
        }
      } catch (error) {
        this.lastError = (error as Error).message;
      } finally {
        await client.end().catch(() => undefined);
      }
    })();
  }

  /** Acknowledgements after `since` (ms since the epoch). */
  ackedSince(since: number): number {
    return this.ackedAt.filter((at) => at > since).length;
  }

  /** Longest time without an acknowledgement from `since` up to the last one (ms), or null without any after `since`. */
  longestGapFrom(since: number): number | null {
    const after = this.ackedAt.filter((at) => at > since);
    if (after.length === 0) return null;
    let longest = after[0]! - since;
    for (let i = 1; i < after.length; i++) longest = Math.max(longest, after[i]! - after[i - 1]!);
    return longest;
  }

  /** Stops after the commit in flight, or ends the session when that commit still waits after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    this.running = false;
    const ended = await Promise.race([this.loop?.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
    if (!ended) await this.client?.end().catch(() => undefined);
    await this.loop;
  }
}
