import { inspect } from 'node:util';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import {
  backoffDelay,
  DatabaseUnavailableError,
  DatabaseUrlError,
  reconnectReason,
  statementNotApplied,
  WriterPool,
  WriterPoolEndedError,
  WriterPoolOptionsError,
  writerPoolOptionsSchema,
  type WriterPoolEvent,
  type WriterPoolOptions,
} from '../../client';
import { AwsPermanentError } from '../../shared/errors';

/** The pg side runs against real PostgreSQL in test/integration/writer-pool.test.ts; here SSM is mocked. */
const ssm = mockClient(SSMClient);
const REGION = 'us-west-2';
const NAME = '/orders/prod/DATABASE_URL';

const pgError = (code: string, message = 'error') => Object.assign(new Error(message), { code });
const awsError = (name: string, status: number) => Object.assign(new Error(`${name} from SSM`), { name, $metadata: { httpStatusCode: status } });

/** A pool with fast, deterministic retries; every event it emits is kept. */
const aPool = (overrides: Partial<WriterPoolOptions> = {}) => {
  const events: WriterPoolEvent[] = [];
  const pool = new WriterPool({
    region: REGION,
    parameterName: NAME,
    retry: { maxAttempts: 3, baseDelayMs: 2, maxDelayMs: 4 },
    minRereadIntervalMs: 0,
    ssm: new SSMClient({ region: REGION }),
    random: () => 0,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { pool, events };
};

beforeEach(() => ssm.reset());

describe('which failures make the application re-read DATABASE_URL', () => {
  it('re-reads after a read-only node, a session the server ended and any lost or timed-out connection', () => {
    const cured = [
      pgError('25006', 'cannot execute INSERT in a read-only transaction'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P03', 'the database system is starting up'),
      pgError('08006'),
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432'),
      pgError('ECONNRESET', 'read ECONNRESET'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Query read timeout'),
    ];
    expect(cured.map(reconnectReason)).toEqual([
      'the node is read-only (no longer the writer) (25006)',
      'the server ended the session (admin shutdown) (57P01)',
      'the server does not accept connections now (starting up or shutting down) (57P03)',
      'connection failure (08006)',
      'connection error (ECONNREFUSED)',
      'connection error (ECONNRESET)',
      'connection error (Connection terminated unexpectedly)',
      'connection error (timeout exceeded when trying to connect)',
      'connection error (Query read timeout)',
    ]);
  });

  it('leaves ordinary SQL errors, a refused password and programming errors to the application', () => {
    const kept = [pgError('23505', 'duplicate key'), pgError('28P01', 'password authentication failed for user "app"'), pgError('42P01'), new TypeError('x is not a function'), null, undefined];
    expect(kept.map(reconnectReason)).toEqual([null, null, null, null, null, null]);
  });

  it('runs a statement again only when it certainly did not run: a read-only refusal, not a session cut under it', () => {
    expect(statementNotApplied(pgError('25006'))).toBe(true);
    expect(statementNotApplied(pgError('57P01'))).toBe(false);
    expect(statementNotApplied(new Error('Connection terminated unexpectedly'))).toBe(false);
  });
});

describe('backoff between attempts', () => {
  const policy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles from the base up to the ceiling, of which the jitter takes a random half', () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, policy, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, policy, () => 0.999999))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('never waits without a base', () => {
    expect(backoffDelay(3, { ...policy, baseDelayMs: 0 }, () => 0.5)).toBe(0);
  });
});

describe('options', () => {
  it('refuses bad settings, naming each field, before anything is read', () => {
    const valid = { region: REGION, parameterName: NAME };
    const refused = (options: Record<string, unknown>) => {
      try {
        new WriterPool(options as unknown as WriterPoolOptions);
      } catch (error) {
        expect(error).toBeInstanceOf(WriterPoolOptionsError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ region: 'mars', parameterName: 'DATABASE_URL' })).toBe(
      'invalid WriterPool options: region: an AWS region such as us-east-1; parameterName: an SSM parameter name starting with "/"',
    );
    expect(refused({ ...valid, retry: { maxAttempts: 0 } })).toMatch(/^invalid WriterPool options: retry\.maxAttempts: /);
    expect(refused({ ...valid, retry: { baseDelayMs: 500, maxDelayMs: 100 } })).toBe('invalid WriterPool options: retry.maxDelayMs: maxDelayMs must be at least baseDelayMs');
    expect(refused({ ...valid, pool: { max: 2, password: 'x' } })).toBe('invalid WriterPool options: pool: unknown field(s) password');
    expect(ssm.calls()).toHaveLength(0);
  });

  it('fills in the documented defaults', () => {
    expect(writerPoolOptionsSchema.parse({ region: REGION, parameterName: NAME })).toEqual({
      region: REGION,
      parameterName: NAME,
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2000 },
      minRereadIntervalMs: 1000,
      pool: { max: 10, connectionTimeoutMillis: 5000, queryTimeoutMillis: 30_000, statementTimeoutMillis: 30_000, idleTimeoutMillis: 10_000, applicationName: 'pgfo-writer-pool' },
    });
  });
});

describe('reading DATABASE_URL from SSM', () => {
  it('decrypts the SecureString, and fails closed at once on an answer no retry can change (parameter not found)', async () => {
    ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound', 400));
    const { pool } = aPool();

    await expect(pool.query('SELECT 1')).rejects.toThrow(AwsPermanentError);

    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([{ Name: NAME, WithDecryption: true }]);
    expect(pool.urlReads).toBe(0);
  });

  it('retries a throttled read with backoff, then gives up after maxAttempts with a named error', async () => {
    ssm.on(GetParameterCommand).rejects(awsError('ThrottlingException', 400));
    const { pool, events } = aPool();

    const error = await pool.query('SELECT 1').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error).toMatchObject({ attempts: 3, message: `no writer reached through ${NAME} in ${REGION} after 3 attempt(s): reading ${NAME} in ${REGION}: AwsTransientError` });
    expect((error as Error).cause).toMatchObject({ name: 'AwsTransientError' });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(3);
    expect(events.map((e) => e.kind)).toEqual(['retry', 'retry', 'gave-up']);
    expect(events.filter((e) => e.kind === 'retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([1, 2]);
  });

  it('reads at most once per minRereadIntervalMs, however the attempts follow each other', async () => {
    const readAt: number[] = [];
    ssm.on(GetParameterCommand).callsFake(() => {
      readAt.push(Date.now());
      throw awsError('ThrottlingException', 400);
    });
    const { pool } = aPool({ minRereadIntervalMs: 60, retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 } });

    await expect(pool.query('SELECT 1')).rejects.toThrow(DatabaseUnavailableError);

    expect(readAt).toHaveLength(3);
    expect(readAt[1]! - readAt[0]!).toBeGreaterThanOrEqual(55);
    expect(readAt[2]! - readAt[1]!).toBeGreaterThanOrEqual(55);
  });

  it('shares one read among calls made together', async () => {
    ssm.on(GetParameterCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { Parameter: { Name: NAME, Value: 'not a url' } };
    });
    const { pool } = aPool();

    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => pool.query('SELECT 1')));

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it('refuses a value that is not a postgresql:// URL with a host, without quoting it anywhere', async () => {
    for (const value of ['host=db.internal user=app password=hunter2-secret', 'mysql://app:hunter2-secret@db.internal/orders', 'postgresql://app:hunter2-secret@/orders']) {
      ssm.reset();
      ssm.on(GetParameterCommand).resolves({ Parameter: { Name: NAME, Value: value } });
      const { pool, events } = aPool();

      const error = await pool.query('SELECT 1').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DatabaseUrlError);
      expect((error as Error).message).toBe(`${NAME} in ${REGION} does not hold a postgresql:// URL with a host`);
      expect(`${inspect(error)} ${JSON.stringify(events)}`).not.toContain('hunter2');
      expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    }
  });

  it('takes no more work once ended, and reads nothing for it', async () => {
    const { pool } = aPool();
    await pool.end();

    await expect(pool.query('SELECT 1')).rejects.toThrow(WriterPoolEndedError);
    expect(ssm.calls()).toHaveLength(0);
  });
});
