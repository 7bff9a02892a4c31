import { performance } from 'node:perf_hooks';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Client as PgClient } from 'pg';

/** One outside call seen while profiling: what, when (ms since the profile's origin) and how long. */
export interface ProfiledCall {
  kind: 'aws' | 'pg-connect' | 'pg-query';
  what: string;
  startMs: number;
  ms: number;
}

/** A client method: a promise, or nothing from pg's callback forms. */
type Method = (...args: unknown[]) => unknown;
const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';
const nameOf = (value: unknown): string => (value as { constructor?: { name?: string } })?.constructor?.name ?? '?';
const sqlOf = (query: unknown): string =>
  (typeof query === 'string' ? query : String((query as { text?: string })?.text)).replace(/\s+/g, ' ').trim().slice(0, 50);

/**
 * Records every AWS SDK v3 `send` and every node-postgres connect and query made in this process
 * while active, by wrapping the two libraries' prototypes (restored by `stop`). For finding where a
 * failover's time goes; the functions themselves never use it.
 */
export const profileCalls = (): { calls: ProfiledCall[]; origin: number; stop: () => void } => {
  const calls: ProfiledCall[] = [];
  const origin = performance.now();
  // Every v3 client class extends the same Smithy base class, whose prototype holds `send`.
  const smithy = Object.getPrototypeOf(CloudWatchClient.prototype) as { send: Method };
  const pg = PgClient.prototype as unknown as { connect: Method; query: Method };
  const originals = { send: smithy.send, connect: pg.connect, query: pg.query };
  const wrap = (kind: ProfiledCall['kind'], describe: (self: unknown, args: unknown[]) => string, fn: Method): Method =>
    function (this: unknown, ...args: unknown[]) {
      const began = performance.now();
      const done = () => calls.push({ kind, what: describe(this, args), startMs: began - origin, ms: performance.now() - began });
      const result = fn.apply(this, args);
      // pg's callback forms return nothing: time only what returns a promise.
      if (isThenable(result)) result.then(done, done);
      return result;
    };
  smithy.send = wrap('aws', (self, [command]) => `${nameOf(self).replace(/Client$/, '')}.${nameOf(command).replace(/Command$/, '')}`, originals.send);
  pg.connect = wrap('pg-connect', (self) => `:${(self as { port: number }).port}`, originals.connect);
  pg.query = wrap('pg-query', (self, [sql]) => `:${(self as { port: number }).port} ${sqlOf(sql)}`, originals.query);
  return {
    calls,
    origin,
    stop: () => {
      smithy.send = originals.send;
      pg.connect = originals.connect;
      pg.query = originals.query;
    },
  };
};

/** Prints states and the calls made during each, in time order (stderr; BENCH_PROFILE=1). */
export const printTimeline = (states: Array<{ name: string; startMs: number; ms: number }>, calls: ProfiledCall[]): void => {
  const rows = [
    ...states.map((s) => ({ at: s.startMs, line: `== ${s.name} (${s.ms.toFixed(0)} ms)` })),
    ...calls.map((c) => ({ at: c.startMs, line: `   ${c.startMs.toFixed(1).padStart(7)} +${c.ms.toFixed(1).padStart(6)} ${c.kind} ${c.what}` })),
  ].sort((a, b) => a.at - b.at);
  process.stderr.write(`${rows.map((r) => r.line).join('\n')}\n`);
};
