import { inspect } from 'node:util';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DatabaseUnavailableError, reconnectReason, WriterPool, type WriterPoolEvent } from '../../client';
import { readParameterFresh, writeSecureString } from '../../shared/aws/ssm';
import { databaseUrlTarget, repointDatabaseUrl } from '../../shared/database-url';
import { resetEmulator } from '../../local/emulator';
import { LinkProxy } from '../../local/link-proxy';
import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { waitFor } from '../../local/wait';

/**
 * The application helper against real PostgreSQL and the emulator's SSM: it follows DATABASE_URL to
 * the writer, gives up within its bounds, and never shows the URL. (Its decisions, without a
 * database: test/unit/writer-pool.test.ts; every drill runs its application through it too.)
 */
describe('an application pool that follows DATABASE_URL', () => {
  let stack: LocalStack;
  const topology = () => stack.topologies.orders!;
  const parameter = () => stack.cluster('orders').databaseUrlParameters[0]!;
  const ssm = () => new SSMClient({ region: parameter().region });
  const readUrl = () => readParameterFresh(ssm(), parameter().region, parameter().name);
  const writeUrl = (url: string) => writeSecureString(ssm(), parameter().region, parameter().name, url);
  const pointAt = async (node: string) => {
    const { host, port } = topology().nodes[node]!;
    await writeUrl(repointDatabaseUrl(await readUrl(), host, port));
  };
  const addressOf = (node: string) => `127.0.0.1:${topology().nodes[node]!.port}`;
  /** The random part of the application's password (the rest is punctuation that printing may escape). */
  const secret = () => stack.logins.orders!.app.password.slice(0, 12);
  const aPool = (events: WriterPoolEvent[], maxAttempts: number) =>
    new WriterPool({
      region: parameter().region,
      parameterName: parameter().name,
      retry: { maxAttempts, baseDelayMs: 20, maxDelayMs: 100 },
      minRereadIntervalMs: 0,
      pool: { max: 2, connectionTimeoutMillis: 3000, queryTimeoutMillis: 5000, statementTimeoutMillis: 5000 },
      onEvent: (event) => events.push(event),
    });

  beforeAll(async () => {
    await resetEmulator(process.env.AWS_ENDPOINT_URL!);
    stack = await startLocalStack();
  });
  afterAll(async () => stack?.teardown());

  it('moves a write the old writer refuses as read-only to the promoted standby, within the same call', async () => {
    const events: WriterPoolEvent[] = [];
    const db = aPool(events, 4);
    try {
      await db.query('CREATE TABLE IF NOT EXISTS app_rows (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
      await db.query('INSERT INTO app_rows DEFAULT VALUES');
      expect(db.target).toBe(addressOf('primary'));

      // A switchover by hand: the primary read-only (its open sessions too), the sync standby
      // promoted, DATABASE_URL naming it.
      await topology().query('primary', 'ALTER SYSTEM SET default_transaction_read_only = on');
      await topology().query('primary', 'SELECT pg_reload_conf()');
      // A new session shows the postmaster reloaded, and so signalled the open sessions to reload.
      const readOnly = async () => (await topology().query<{ default_transaction_read_only: string }>('primary', 'SHOW default_transaction_read_only'))[0];
      await waitFor('the primary to be read-only', async () => (await readOnly())?.default_transaction_read_only === 'on', { timeoutMs: 10_000 });
      await topology().query('standby_az2', 'SELECT pg_promote(true, 30)');
      await pointAt('standby_az2');

      const { rows } = await db.query<{ port: number }>('INSERT INTO app_rows DEFAULT VALUES RETURNING inet_server_port() AS port');

      expect(rows[0]?.port).toBe(topology().nodes.standby_az2!.port);
      expect(db.target).toBe(addressOf('standby_az2'));
      expect(db.urlReads).toBe(2);
      expect(events.map((e) => e.kind)).toEqual(['url-read', 'stale', 'retry', 'url-read']);
      expect(events[1]).toEqual({ kind: 'stale', target: addressOf('primary'), reason: 'the node is read-only (no longer the writer) (25006)' });
      expect(JSON.stringify(events)).not.toMatch(new RegExp(`postgres(ql)?://|${secret()}`));
    } finally {
      await db.end();
    }
  });

  it('returns the error of a statement whose connection was cut under it, without running it again, and reconnects for the next call', async () => {
    const url = await readUrl();
    const writer = databaseUrlTarget(url);
    const node = Object.keys(topology().nodes).find((name) => addressOf(name) === `${writer.host}:${writer.port}`)!;
    // The network between the application and the writer, which the test cuts.
    const link = await LinkProxy.start({ host: writer.host, port: writer.port });
    await writeUrl(repointDatabaseUrl(url, '127.0.0.1', link.port));
    const events: WriterPoolEvent[] = [];
    const db = aPool(events, 4);
    try {
      await db.query('SELECT 1');
      const sleeping = db.query('SELECT pg_sleep(30)').catch((e: unknown) => e);
      await waitFor(
        'the statement to run',
        async () => (await topology().query(node, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'pgfo-writer-pool' AND query LIKE 'SELECT pg_sleep%'")).length > 0,
        { timeoutMs: 10_000 },
      );

      link.cut('reset');
      const error = await sleeping;

      // The connection died while the statement ran: whether to run it again is the caller's call.
      expect(error).not.toBeInstanceOf(DatabaseUnavailableError);
      expect(reconnectReason(error)).toMatch(/^connection error/);
      expect(events.filter((e) => e.kind === 'retry')).toEqual([]);
      link.restore();
      await db.query('SELECT 1');
      expect(db.urlReads).toBe(2);
      expect(events.map((e) => e.kind)).toEqual(['url-read', 'stale', 'url-read']);
    } finally {
      await db.end();
      await writeUrl(url);
      await link.close();
    }
  });

  it('gives up after maxAttempts while the parameter names a node that is down, without showing the URL, and follows it once it names a writer', async () => {
    const writerUrl = await readUrl();
    await pointAt('standby_dr');
    await topology().stop('standby_dr');
    const events: WriterPoolEvent[] = [];
    const db = aPool(events, 3);
    try {
      const error = await db.query('SELECT 1').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect((error as DatabaseUnavailableError).message).toBe(
        `no writer reached through ${parameter().name} in ${parameter().region} after 3 attempt(s): connection error (ECONNREFUSED)`,
      );
      expect(db.urlReads).toBe(3);
      expect(`${inspect(error, { depth: 10 })} ${JSON.stringify(events)}`).not.toMatch(new RegExp(`postgres(ql)?://|${secret()}`));

      await writeUrl(writerUrl);
      await db.query('SELECT 1');

      const { host, port } = databaseUrlTarget(writerUrl);
      expect(db.target).toBe(`${host}:${port}`);
      expect(db.urlReads).toBe(4);
    } finally {
      await db.end();
    }
  });
});
