import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Structured JSON logging with secret redaction. Every value registered with `registerSecret`
 * is masked in every line, whatever field it ends up in; credentials in URLs are masked too.
 */
const secrets = new Set<string>();
const MASK = '***';

/**
 * Marks a value (password, full DATABASE_URL) as never to be printed: as it is, URL-encoded, and
 * JSON-escaped (lines are masked once serialised, where a quote or a backslash is escaped).
 */
export const registerSecret = (value: string | undefined): void => {
  if (value && value.length >= 4) {
    for (const form of [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) secrets.add(form);
  }
};

/** Masks registered secrets and `user:password@` parts of URLs in a string. */
export const redact = (text: string): string => {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@\s]*@/gi, `$1${MASK}@`);
  for (const secret of secrets) out = out.split(secret).join(MASK);
  return out;
};

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
/** LOG_LEVEL: debug, info (default), warn, error or silent. */
const threshold = (): number => order[(process.env.LOG_LEVEL?.toLowerCase() as Level) ?? 'info'] ?? order.info;

const serialise = (value: unknown): unknown =>
  value instanceof Error ? { name: value.name, message: value.message } : value;

export type LogSink = (line: string) => void;
const defaultSink: LogSink = (line) => process.stdout.write(`${line}\n`);
let sink: LogSink = defaultSink;

/** Replaces where log lines go (the drill and tests capture them). Returns the previous sink. */
export const setLogSink = (next: LogSink): LogSink => {
  const previous = sink;
  sink = next;
  return previous;
};

/** Fields every line of one invocation carries: request id, function, cluster, execution name. */
export interface LogContext {
  requestId?: string;
  function?: string;
  cluster?: string;
  execution?: string;
}

// Per invocation, not per process: the local stack runs several handlers at once in one process.
const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` added to every line it logs (nested calls add to the outer fields). */
export const withLogContext = <T>(fields: LogContext, fn: () => T): T => context.run({ ...context.getStore(), ...fields }, fn);

/** The fields of the invocation running now (empty outside one). */
export const logContext = (): LogContext => context.getStore() ?? {};

const write = (level: Level, message: string, fields: Record<string, unknown> = {}): void => {
  if (sink === defaultSink && order[level] < threshold()) return;
  const record: Record<string, unknown> = { level, time: new Date().toISOString(), message };
  for (const [key, value] of Object.entries(logContext())) if (value !== undefined) record[key] = value;
  for (const [key, value] of Object.entries(fields)) record[key] = serialise(value);
  sink(redact(JSON.stringify(record)));
};

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
