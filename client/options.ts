import * as z from 'zod';
import { regionSchema, ssmNameSchema } from '../shared/config/schema';
import { WriterPoolOptionsError } from './errors';

/**
 * What a `WriterPool` is told: where DATABASE_URL lives, how hard to try, and the timeouts of its
 * connections. Every knob states its meaning, unit and default; `parseWriterPoolOptions` refuses
 * anything else, naming the field.
 */
export const writerPoolOptionsSchema = z.strictObject({
  /** Region of the parameter: the application's own (pgfo rewrites one per application region). */
  region: regionSchema,
  /** Name of the SSM SecureString holding DATABASE_URL (the cluster's `databaseUrlParameters[].name`). */
  parameterName: ssmNameSchema,
  retry: z
    .strictObject({
      /** Attempts per call, the first included; then `DatabaseUnavailableError`. @default 5 */
      maxAttempts: z.number().int().min(1).max(100).default(5),
      /** Wait before the first retry, ms; doubled before each further one (with jitter). @default 100 */
      baseDelayMs: z.number().int().min(0).max(60_000).default(100),
      /** Ceiling of any one wait between attempts, ms. @default 2000 */
      maxDelayMs: z.number().int().min(0).max(300_000).default(2000),
    })
    .refine((r) => r.maxDelayMs >= r.baseDelayMs, { message: 'maxDelayMs must be at least baseDelayMs', path: ['maxDelayMs'] })
    .prefault({}),
  /**
   * Least time between two reads of the parameter by this pool, ms: however many calls fail at
   * once, the pool reads SSM at most once per interval (GetParameter's default throughput is shared
   * by the whole account and region: see docs/applications.md). @default 1000
   */
  minRereadIntervalMs: z.number().int().min(0).max(300_000).default(1000),
  pool: z
    .strictObject({
      /** Connections at most. @default 10 */
      max: z.number().int().min(1).max(1000).default(10),
      /** Longest wait to open a connection, ms (node-postgres waits forever without it). @default 5000 */
      connectionTimeoutMillis: z.number().int().min(1).max(300_000).default(5000),
      /** Client-side limit of one query, ms: a writer that hangs fails the call. @default 30000 */
      queryTimeoutMillis: z.number().int().min(1).max(3_600_000).default(30_000),
      /** Server-side `statement_timeout`, ms (0 turns it off). @default 30000 */
      statementTimeoutMillis: z.number().int().min(0).max(3_600_000).default(30_000),
      /** An idle connection is closed after this long, ms. @default 10000 */
      idleTimeoutMillis: z.number().int().min(1).max(3_600_000).default(10_000),
      /** `application_name` of every session (pg_stat_activity). @default "pgfo-writer-pool" */
      applicationName: z.string().min(1).max(63).default('pgfo-writer-pool'),
    })
    .prefault({}),
});

export type WriterPoolSettings = z.input<typeof writerPoolOptionsSchema>;
export type ParsedWriterPoolSettings = z.output<typeof writerPoolOptionsSchema>;

const pathOf = (path: ReadonlyArray<PropertyKey>): string => path.map(String).join('.') || '(root)';

/** The settings with their defaults, or `WriterPoolOptionsError` naming every bad field. */
export const parseWriterPoolOptions = (raw: unknown): ParsedWriterPoolSettings => {
  const result = writerPoolOptionsSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys' ? `${pathOf(issue.path)}: unknown field(s) ${issue.keys.join(', ')}` : `${pathOf(issue.path)}: ${issue.message}`,
  );
  throw new WriterPoolOptionsError(`invalid WriterPool options: ${problems.join('; ')}`);
};
