import { parse } from 'pg-connection-string';
import { availability, type AppAttempt } from '../../drill/app-client';
import { buildDatabaseUrl, repointDatabaseUrl } from '../../shared/database-url';

/** Attempts every 100 ms from t = 0: '.' succeeded, 'x' failed. */
const attempts = (pattern: string): AppAttempt[] => [...pattern].map((c, i) => ({ at: i * 100, ok: c === '.' }));

describe('what the sample application experienced', () => {
  it('measures RTO from the fault to the first write after the first failure, and downtime from the last good write', () => {
    const seen = availability(attempts('....xxxxx...'), 350, 1200);
    expect(seen).toEqual({ interrupted: true, recovered: true, rtoMs: 900 - 350, downtimeMs: 900 - 300 });
  });

  it('does not count a write that still reached the old primary after the fault as recovery', () => {
    // the fault at 250 ms takes effect only at 400 ms: the write at 300 ms is not the RTO's end
    const seen = availability(attempts('....xx..'), 250, 800);
    expect(seen.rtoMs).toBe(600 - 250);
  });

  it('reports an application that was never interrupted: no RTO, no downtime', () => {
    expect(availability(attempts('........'), 300, 800)).toEqual({ interrupted: false, recovered: true, rtoMs: null, downtimeMs: 0 });
  });

  it('counts downtime up to the end when the application never recovered', () => {
    expect(availability(attempts('..xxx'), 150, 1000)).toEqual({ interrupted: true, recovered: false, rtoMs: null, downtimeMs: 1000 - 100 });
  });

  it('adds up separate outages', () => {
    expect(availability(attempts('.x..xx.'), null, 700).downtimeMs).toBe(200 - 0 + (600 - 300));
  });

  // Which errors make the application re-read DATABASE_URL is the helper's: test/unit/writer-pool.test.ts.

  it('can use the DATABASE_URL the control plane writes, whatever the password holds', () => {
    const password = `x@:/?#% '"&%41`;
    const url = repointDatabaseUrl(buildDatabaseUrl({ user: 'app', password, host: '127.0.0.1', port: 5432, database: 'orders' }), '127.0.0.2', 6432);
    expect(parse(url)).toMatchObject({ user: 'app', password, host: '127.0.0.2', port: '6432', database: 'orders' });
  });
});
