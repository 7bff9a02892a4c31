import { Pool } from 'pg';
import { ssmClient } from '../shared/aws/clients/ssm';
import { readParameterFresh } from '../shared/aws/ssm';
import { databaseUrlTarget } from '../shared/database-url';
import { sleep } from '../shared/time';

/** One write attempt of the application, when it finished and whether it committed. */
export interface AppAttempt {
  at: number;
  ok: boolean;
}

const RECONNECT_CODES = new Set([
  '25006', // read_only_sql_transaction: the node we hold is no longer the writer
  '57P01', // admin_shutdown (also: sessions ended by a switchover)
  '57P02',
  '57P03', // cannot_connect_now (starting up or shutting down)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/**
 * Whether an error means "this connection, or this node, is not a writer any more": connection
 * failures (no SQLSTATE: refused, reset, timed out) and the SQLSTATEs above. Pure.
 */
export const needsReconnect = (error: unknown): boolean => {
  const code = (error as { code?: unknown }).code;
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || RECONNECT_CODES.has(code);
};

export interface Availability {
  /** The application failed at least one write after the fault. */
  interrupted: boolean;
  /** Fault → first success after the first failure after the fault (null: not interrupted or not recovered). */
  rtoMs: number | null;
  /** Sum over failure streaks: last success before the streak → first success after it (or `endAt`). */
  downtimeMs: number;
  recovered: boolean;
}

/** What the application experienced, from its write attempts (in the order they finished). Pure. */
export const availability = (attempts: AppAttempt[], faultAt: number | null, endAt: number): Availability => {
  let downtimeMs = 0;
  let lastOk: number | null = null;
  let streakStart: number | null = null;
  for (const attempt of attempts) {
    if (!attempt.ok) {
      streakStart ??= lastOk ?? attempt.at;
      continue;
    }
    if (streakStart !== null) downtimeMs += attempt.at - streakStart;
    streakStart = null;
    lastOk = attempt.at;
  }
  if (streakStart !== null) downtimeMs += endAt - streakStart;
  const firstFailure = faultAt === null ? undefined : attempts.find((a) => !a.ok && a.at >= faultAt);
  const recovery = firstFailure ? attempts.find((a) => a.ok && a.at > firstFailure.at) : undefined;
  return {
    interrupted: firstFailure !== undefined,
    rtoMs: recovery && faultAt !== null ? recovery.at - faultAt : null,
    downtimeMs,
    recovered: firstFailure === undefined || recovery !== undefined,
  };
};

/**
 * A sample application: reads DATABASE_URL from SSM (the parameter a real deployment reads), writes
 * one row every `intervalMs` through a pg Pool, and when the connection fails or the node turns out
 * to be read-only, drops the pool, reads the parameter again and reconnects. It records every
 * attempt, so the drill measures what an application experiences rather than what the workflow says.
 */
export class AppClient {
  readonly attempts: AppAttempt[] = [];
  urlReads = 0;
  lastError: string | null = null;
  /** host:port the application is currently writing to. */
  target: string | null = null;
  private pool: Pool | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    readonly parameter: { region: string; name: string },
    private readonly options: { intervalMs?: number; table?: string; timeoutMs?: number } = {},
  ) {}

  private get table() {
    return this.options.table ?? 'pgfo_drill_app';
  }

  private async connect(): Promise<Pool> {
    const url = await readParameterFresh(ssmClient(this.parameter.region), this.parameter.region, this.parameter.name);
    this.urlReads += 1;
    const { host, port } = databaseUrlTarget(url);
    this.target = `${host}:${port}`;
    const timeout = this.options.timeoutMs ?? 2000;
    const pool = new Pool({
      connectionString: url,
      max: 2,
      application_name: 'pgfo-drill-app',
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
      statement_timeout: timeout,
      idleTimeoutMillis: 10_000,
    });
    // An idle connection dropped by the server must not crash the process; the next query notices.
    pool.on('error', () => undefined);
    return pool;
  }

  /** Reads the parameter, creates the table and starts writing. */
  async start(): Promise<void> {
    this.pool = await this.connect();
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`);
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const interval = this.options.intervalMs ?? 50;
    while (this.running) {
      const started = Date.now();
      try {
        this.pool ??= await this.connect();
        await this.pool.query(`INSERT INTO ${this.table} DEFAULT VALUES`);
        this.attempts.push({ at: Date.now(), ok: true });
      } catch (error) {
        this.attempts.push({ at: Date.now(), ok: false });
        this.lastError = (error as Error).message;
        if (needsReconnect(error)) {
          // Next attempt reads DATABASE_URL again: the writer may have moved.
          const broken = this.pool;
          this.pool = undefined;
          await broken?.end().catch(() => undefined);
        }
      }
      await sleep(Math.max(0, started + interval - Date.now()));
    }
  }

  /** Whether a write has succeeded since `at`. */
  wroteSince(at: number): boolean {
    return this.attempts.some((a) => a.ok && a.at > at);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
  }
}
