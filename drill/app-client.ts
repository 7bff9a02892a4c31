import { WriterPool } from '../client';
import { sleep } from '../shared/time';

/** One write attempt of the application, when it finished and whether it committed. */
export interface AppAttempt {
  at: number;
  ok: boolean;
}

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
 * How the drill's application uses the helper: one instance writing every 50 ms, so its re-reads and
 * backoff are short (a fleet would keep the defaults; docs/applications.md). What the drill measures
 * is then how soon an application that follows DATABASE_URL can write, not how long it chose to wait.
 */
export const DRILL_APP_RETRY = { maxAttempts: 3, baseDelayMs: 25, maxDelayMs: 100 } as const;
export const DRILL_APP_REREAD_MS = 100;

/**
 * A sample application: writes one row every `intervalMs` through the application helper
 * (`client/`: a pool that reads DATABASE_URL from SSM, the parameter a real deployment reads, and
 * re-reads it and reconnects when the connection fails or the node turns out to be read-only). It
 * records every attempt, so the drill measures what an application experiences rather than what the
 * workflow says.
 */
export class AppClient {
  readonly attempts: AppAttempt[] = [];
  lastError: string | null = null;
  private db: WriterPool | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    readonly parameter: { region: string; name: string },
    private readonly options: { intervalMs?: number; table?: string; timeoutMs?: number } = {},
  ) {}

  private get table() {
    return this.options.table ?? 'pgfo_drill_app';
  }

  /** How many times the application read DATABASE_URL. */
  get urlReads(): number {
    return this.db?.urlReads ?? 0;
  }

  /** host:port the application is currently writing to. */
  get target(): string | null {
    return this.db?.target ?? null;
  }

  /** Reads the parameter, creates the table and starts writing. */
  async start(): Promise<void> {
    const timeout = this.options.timeoutMs ?? 2000;
    this.db = new WriterPool({
      region: this.parameter.region,
      parameterName: this.parameter.name,
      retry: DRILL_APP_RETRY,
      minRereadIntervalMs: DRILL_APP_REREAD_MS,
      pool: {
        max: 2,
        applicationName: 'pgfo-drill-app',
        connectionTimeoutMillis: timeout,
        queryTimeoutMillis: timeout,
        statementTimeoutMillis: timeout,
        idleTimeoutMillis: 10_000,
      },
    });
    await this.db.query(`CREATE TABLE IF NOT EXISTS ${this.table} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`);
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const interval = this.options.intervalMs ?? 50;
    const db = this.db!;
    while (this.running) {
      const started = Date.now();
      try {
        await db.query(`INSERT INTO ${this.table} DEFAULT VALUES`);
        this.attempts.push({ at: Date.now(), ok: true });
      } catch (error) {
        // The helper has already re-read DATABASE_URL where the error called for it.
        this.attempts.push({ at: Date.now(), ok: false });
        this.lastError = (error as Error).message;
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
    await this.db?.end().catch(() => undefined);
  }
}
