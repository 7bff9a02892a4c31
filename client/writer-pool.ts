import type { SSMClient } from '@aws-sdk/client-ssm';
import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { ssmClient } from '../shared/aws/clients/ssm';
import { readParameterFresh } from '../shared/aws/ssm';
import { AwsTransientError } from '../shared/errors';
import { sleep } from '../shared/time';
import { DatabaseUnavailableError, DatabaseUrlError, WriterPoolEndedError } from './errors';
import { parseWriterPoolOptions, type ParsedWriterPoolSettings, type WriterPoolSettings } from './options';
import { backoffDelay, reconnectReason, statementNotApplied } from './reconnect';

/**
 * What the pool tells an application's logger: where it connects (host:port, never the URL or a
 * password) and why it re-reads DATABASE_URL or retries.
 */
export type WriterPoolEvent =
  | { kind: 'url-read'; target: string; reads: number }
  | { kind: 'stale'; target: string; reason: string }
  | { kind: 'retry'; attempt: number; delayMs: number; reason: string }
  | { kind: 'gave-up'; attempts: number; reason: string };

export interface WriterPoolOptions extends WriterPoolSettings {
  /** SSM client of `region`. @default the project's client factory (explicit timeouts, SDK environment) */
  ssm?: SSMClient;
  /** Receives every event; must not throw. @default none */
  onEvent?: (event: WriterPoolEvent) => void;
  /** [0, 1) for the backoff's jitter. @default Math.random */
  random?: () => number;
}

interface Connection {
  pool: Pool;
  /** host:port of the URL this pool was built from. */
  target: string;
}

/** host:port of a DATABASE_URL; refuses anything that is not a PostgreSQL URL with a host, without quoting it. */
const targetOf = (url: string, where: string): string => {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol) || parsed.hostname === '') {
    throw new DatabaseUrlError(`${where} does not hold a postgresql:// URL with a host`);
  }
  return `${parsed.hostname}:${parsed.port || '5432'}`;
};

const ignore = (): void => undefined;

/** SSM errors worth another attempt (throttling, 5xx, no answer); any other fails the call at once. */
const retryableRead = (error: unknown): boolean => error instanceof AwsTransientError;

/**
 * A node-postgres pool that follows the writer. It reads DATABASE_URL from an SSM SecureString
 * (GetParameter WithDecryption) before its first connection; when a connection fails or the node
 * turns out read-only (SQLSTATE 25006), the session was ended (57P01…) or a connect or query timed
 * out, it retires its pool, reads the parameter again and builds a new pool on what it names — which,
 * after a failover or switchover, is the new writer. Each call is tried at most `retry.maxAttempts`
 * times with capped, jittered exponential backoff; the parameter is read at most once per
 * `minRereadIntervalMs` however many calls fail together.
 *
 * `query` retries a statement only when it certainly did not run (it could not connect, or the node
 * refused it as read-only); a session cut while a statement ran is returned to the caller (the
 * statement may have committed), and the next call goes to the re-read writer. `withClient` retries
 * only getting a connection. The URL and its password are never logged, put in an event or an error.
 */
export class WriterPool {
  readonly #settings: ParsedWriterPoolSettings;
  readonly #ssm: SSMClient;
  readonly #onEvent: (event: WriterPoolEvent) => void;
  readonly #random: () => number;
  #current: Connection | undefined;
  #opening: Promise<Connection> | undefined;
  #lastReadAt = Number.NEGATIVE_INFINITY;
  #reads = 0;
  #ended = false;

  /** @throws WriterPoolOptionsError naming each bad field */
  constructor(options: WriterPoolOptions) {
    const { ssm, onEvent, random, ...settings } = options;
    this.#settings = parseWriterPoolOptions(settings);
    this.#ssm = ssm ?? ssmClient(this.#settings.region);
    this.#onEvent = onEvent ?? (() => undefined);
    this.#random = random ?? Math.random;
  }

  /** How many times DATABASE_URL was read. */
  get urlReads(): number {
    return this.#reads;
  }

  /** host:port the pool connects to now (null before the first read or after a failure retired it). */
  get target(): string | null {
    return this.#current?.target ?? null;
  }

  /** Runs one statement on the writer, retried as the class documents. */
  async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    return this.#attempt((client) => client.query<R>(text, values), statementNotApplied);
  }

  /**
   * Runs `work` on one connection of the writer (a transaction: BEGIN … COMMIT inside `work`) and
   * releases it. Getting the connection is retried; `work` is run once: when it fails on a connection
   * error the pool is rebuilt for the next call and the error is returned.
   */
  async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#attempt(work, () => false);
  }

  /** Closes every connection; later calls fail with `WriterPoolEndedError`. */
  async end(): Promise<void> {
    this.#ended = true;
    const current = this.#current;
    this.#current = undefined;
    // A pool being built now sees `#ended` and ends itself.
    await this.#opening?.catch(() => undefined);
    await current?.pool.end();
  }

  async #attempt<T>(work: (client: PoolClient) => Promise<T>, retryAfterWork: (error: unknown) => boolean): Promise<T> {
    const { maxAttempts } = this.#settings.retry;
    let last: { error: unknown; reason: string } | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (last) {
        const delayMs = backoffDelay(attempt - 1, this.#settings.retry, this.#random);
        this.#onEvent({ kind: 'retry', attempt, delayMs, reason: last.reason });
        await sleep(delayMs);
      }
      const outcome = await this.#once(work, retryAfterWork);
      if ('value' in outcome) return outcome.value;
      last = outcome;
    }
    this.#onEvent({ kind: 'gave-up', attempts: maxAttempts, reason: last!.reason });
    throw new DatabaseUnavailableError(
      `no writer reached through ${this.#where()} after ${maxAttempts} attempt(s): ${last!.reason}`,
      maxAttempts,
      { cause: last!.error },
    );
  }

  /** One attempt: the value, or a failure worth retrying (anything else is thrown). */
  async #once<T>(work: (client: PoolClient) => Promise<T>, retryAfterWork: (error: unknown) => boolean): Promise<{ value: T } | { error: unknown; reason: string }> {
    let connection: Connection;
    try {
      connection = await this.#connection();
    } catch (error) {
      if (!retryableRead(error)) throw error;
      return { error, reason: `reading ${this.#where()}: ${(error as Error).name}` };
    }
    let client: PoolClient;
    try {
      client = await connection.pool.connect();
    } catch (error) {
      const reason = reconnectReason(error);
      if (reason === null) throw error;
      this.#retire(connection, reason);
      return { error, reason };
    }
    // A checked-out client whose connection dies also emits 'error' (node-postgres leaves that to
    // whoever checked it out); unheard, that event would end the process. The same error fails the
    // statement in flight, or the next one, which is where it is handled.
    client.on('error', ignore);
    const release = (destroy: boolean) => {
      client.removeListener('error', ignore);
      client.release(destroy);
    };
    try {
      const value = await work(client);
      release(false);
      return { value };
    } catch (error) {
      const reason = reconnectReason(error);
      // A connection that failed is destroyed, not handed to the next caller.
      release(reason !== null);
      if (reason === null) throw error;
      this.#retire(connection, reason);
      if (!retryAfterWork(error)) throw error;
      return { error, reason };
    }
  }

  /** The current pool, or a new one built from a fresh read (one read at a time, shared by every caller). */
  async #connection(): Promise<Connection> {
    if (this.#ended) throw new WriterPoolEndedError('the WriterPool was ended');
    if (this.#current) return this.#current;
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(): Promise<Connection> {
    const { region, parameterName, minRereadIntervalMs, pool } = this.#settings;
    const wait = this.#lastReadAt + minRereadIntervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    this.#lastReadAt = Date.now();
    const url = await readParameterFresh(this.#ssm, region, parameterName);
    this.#reads += 1;
    const target = targetOf(url, this.#where());
    const connection: Connection = {
      target,
      pool: new Pool({
        connectionString: url,
        max: pool.max,
        connectionTimeoutMillis: pool.connectionTimeoutMillis,
        query_timeout: pool.queryTimeoutMillis,
        statement_timeout: pool.statementTimeoutMillis,
        idleTimeoutMillis: pool.idleTimeoutMillis,
        application_name: pool.applicationName,
      }),
    };
    // An idle connection the server dropped must not crash the process; the next call notices.
    connection.pool.on('error', () => undefined);
    if (this.#ended) {
      await connection.pool.end();
      throw new WriterPoolEndedError('the WriterPool was ended');
    }
    this.#current = connection;
    this.#onEvent({ kind: 'url-read', target, reads: this.#reads });
    return connection;
  }

  /** Stops using `connection` (once: a later failure of the same pool finds it already retired). */
  #retire(connection: Connection, reason: string): void {
    if (this.#current !== connection) return;
    this.#current = undefined;
    this.#onEvent({ kind: 'stale', target: connection.target, reason });
    // Connections still checked out are closed as their callers release them.
    void connection.pool.end().catch(() => undefined);
  }

  #where(): string {
    return `${this.#settings.parameterName} in ${this.#settings.region}`;
  }
}
