import { decideRestart, describeRepair, planRepairs, RESTART_POLICY, type ExecutionSeen, type PublishedFacts, type RestartFacts, type UrlSeen } from '../../shared/decisions/reconcile';
import { executionNameFor, isExecutionOf } from '../../shared/workflow/state';

const SINCE = '2026-12-06T03:00:00.000Z';
const NOW = Date.parse('2026-12-06T03:10:00.000Z');
const ok = <T>(value: T) => ({ ok: true as const, value });
const failed = (reason: string) => ({ ok: false as const, reason });

const aUrl = (region: string, node: string | null, overrides: Partial<UrlSeen> = {}) => {
  const seen: UrlSeen = { region, name: '/orders/prod/DATABASE_URL', node, host: `${node ?? 'elsewhere'}.internal`, port: 5432, ...overrides };
  return { region, name: seen.name, seen: ok(seen) };
};

/** The record names standby_dr; everything published already names it unless a test says otherwise. */
const published = (overrides: Partial<PublishedFacts> = {}): PublishedFacts => ({
  writer: 'standby_dr',
  since: SINCE,
  urls: [aUrl('us-east-1', 'standby_dr'), aUrl('us-west-2', 'standby_dr')],
  dns: ok({ node: 'standby_dr', target: 'pg-dr.internal' }),
  intent: ok({ node: 'standby_dr', generation: 1000, applied: true }),
  ...overrides,
});

/** An incident of the alarm's episode (started after SINCE) that ended. */
const anExecution = (overrides: Partial<ExecutionSeen> = {}): ExecutionSeen => ({
  name: 'orders-alarm-20261206030000000',
  status: 'FAILED',
  startedAt: Date.parse(SINCE) + 1000,
  stoppedAt: Date.parse(SINCE) + 10_000,
  ...overrides,
});

const restart = (overrides: Partial<RestartFacts> = {}): RestartFacts => ({
  alarm: ok({ name: 'pgfo-prod-orders-primary-down', state: 'ALARM', since: SINCE }),
  lease: ok({}),
  paused: ok(null),
  executions: ok([]),
  now: NOW,
  ...overrides,
});

describe('what the convergence repairs: every DATABASE_URL and the cluster record name the recorded writer', () => {
  it('repairs nothing when everything names the recorded writer', () => {
    expect(planRepairs(published())).toEqual({ repairs: [], unchecked: [] });
  });

  it('rewrites the one region whose DATABASE_URL still names the fenced primary, saying since when', () => {
    const plan = planRepairs(published({ urls: [aUrl('us-east-1', 'standby_dr'), aUrl('us-west-2', 'primary')] }));

    expect(plan.repairs).toEqual([
      { kind: 'database-url', region: 'us-west-2', name: '/orders/prod/DATABASE_URL', from: 'primary', to: 'standby_dr', since: SINCE, reason: 'DATABASE_URL us-west-2 /orders/prod/DATABASE_URL names primary, writer is standby_dr' },
    ]);
    expect(describeRepair(plan.repairs[0]!)).toBe(`DATABASE_URL us-west-2 /orders/prod/DATABASE_URL names primary, writer is standby_dr, pending since ${SINCE}`);
  });

  it('rewrites a DATABASE_URL naming no configured node, by host and port', () => {
    const plan = planRepairs(published({ urls: [aUrl('us-east-1', null, { host: '10.0.0.9', port: 6432 })] }));

    expect(plan.repairs).toEqual([expect.objectContaining({ kind: 'database-url', from: null, reason: expect.stringContaining('names 10.0.0.9:6432 (no configured node), writer is standby_dr') })]);
  });

  it('never repairs a region it could not read: it is reported unchecked with the reason, the others are still repaired', () => {
    const plan = planRepairs(published({ urls: [{ region: 'us-west-2', name: '/orders/prod/DATABASE_URL', seen: failed('ssm:GetParameter failed: 503') }, aUrl('us-east-1', 'primary')] }));

    expect(plan.unchecked).toEqual([{ what: 'DATABASE_URL us-west-2 /orders/prod/DATABASE_URL', reason: 'ssm:GetParameter failed: 503' }]);
    expect(plan.repairs.map((r) => r.kind === 'database-url' && r.region)).toEqual(['us-east-1']);
  });

  it("finishes the writer's own pending DNS intent as recorded (its generation stands)", () => {
    const plan = planRepairs(published({ dns: ok({ node: 'primary', target: 'pg-primary.internal' }), intent: ok({ node: 'standby_dr', generation: 1000, applied: false, reason: 'Route 53 503' }) }));

    expect(plan.repairs).toEqual([
      { kind: 'dns', from: 'primary', to: 'standby_dr', since: SINCE, via: 'intent', reason: 'cluster record repoint to standby_dr (generation 1000) not applied: Route 53 503' },
    ]);
  });

  it('repoints a cluster record that names another node when no intent for the writer is pending (a change made by hand, an older intent)', () => {
    for (const intent of [null, { node: 'standby_dr', generation: 1000, applied: true }, { node: 'primary', generation: 900, applied: false }]) {
      const plan = planRepairs(published({ dns: ok({ node: 'primary', target: 'pg-primary.internal' }), intent: ok(intent) }));
      expect(plan.repairs).toEqual([expect.objectContaining({ kind: 'dns', via: 'repoint', from: 'primary', to: 'standby_dr', reason: 'cluster record names primary, writer is standby_dr' })]);
    }
  });

  it('does not touch DNS when the record or the intent could not be read', () => {
    expect(planRepairs(published({ dns: failed('route53 503') }))).toEqual({ repairs: [], unchecked: [{ what: 'cluster record', reason: 'route53 503' }] });
    expect(planRepairs(published({ intent: failed('dynamodb 503'), dns: ok({ node: 'primary', target: 'x' }) }))).toEqual({ repairs: [], unchecked: [{ what: 'DNS intent', reason: 'dynamodb 503' }] });
  });
});

describe('a failover alarm still in ALARM with nothing handling it', () => {
  it('starts a new incident once nothing holds it back', () => {
    expect(decideRestart(restart())).toEqual({
      start: true,
      alarm: 'pgfo-prod-orders-primary-down',
      since: SINCE,
      reason: `pgfo-prod-orders-primary-down in ALARM since ${SINCE} with no execution running and nothing holding it back: a new incident starts`,
    });
  });

  it('starts nothing for an alarm that is OK, has no data or does not exist', () => {
    expect(decideRestart(restart({ alarm: ok({ name: 'a', state: 'OK', since: SINCE }) }))).toEqual({ start: false, reason: 'a is OK: nothing to do' });
    expect(decideRestart(restart({ alarm: ok({ name: 'a', state: 'INSUFFICIENT_DATA', since: SINCE }) })).start).toBe(false);
    expect(decideRestart(restart({ alarm: ok({ name: 'a', state: null, since: null }) }))).toEqual({ start: false, reason: 'a does not exist' });
  });

  it('waits while an execution runs, the lease is held, the cooldown runs or failover is paused, naming which', () => {
    const held = (facts: Partial<RestartFacts>) => {
      const verdict = decideRestart(restart(facts));
      expect(verdict).toMatchObject({ start: false, held: true, since: SINCE });
      return verdict.reason;
    };
    expect(held({ executions: ok([anExecution({ name: 'orders-alarm-20261206030000000', status: 'RUNNING', stoppedAt: null })]) })).toMatch(/not started: execution orders-alarm-20261206030000000 is running$/);
    expect(held({ lease: ok({ holder: 'orders-switchover-1', kind: 'switchover', expiresAt: NOW + 30000 }) })).toMatch(/not started: switchover orders-switchover-1 holds the lease until 2026-12-06T03:10:30.000Z$/);
    expect(held({ lease: ok({ cooldownUntil: NOW + 60000 }) })).toMatch(/not started: cooling down after the last failover until 2026-12-06T03:11:00.000Z$/);
    expect(held({ paused: ok('paused since T, by alice, because maintenance') })).toMatch(/not started: automatic failover is paused since T, by alice, because maintenance$/);
  });

  it('starts once an expired lease and a past cooldown no longer hold it back', () => {
    expect(decideRestart(restart({ lease: ok({ holder: 'crashed', kind: 'failover', expiresAt: NOW - 1, cooldownUntil: NOW - 1 }) })).start).toBe(true);
  });

  it('fails closed: "could not check" is never "start", and says what could not be checked', () => {
    expect(decideRestart(restart({ alarm: failed('cloudwatch:DescribeAlarms failed: 503') }))).toEqual({ start: false, held: true, reason: 'could not check the failover alarm: cloudwatch:DescribeAlarms failed: 503' });
    expect(decideRestart(restart({ executions: failed('states:ListExecutions failed') })).reason).toMatch(/not started: could not check for a running execution: states:ListExecutions failed$/);
    expect(decideRestart(restart({ lease: failed('dynamodb:GetItem lease failed') })).reason).toMatch(/not started: could not check the lease: dynamodb:GetItem lease failed$/);
    expect(decideRestart(restart({ paused: failed('dynamodb:GetItem record failed') })).reason).toMatch(/not started: could not check whether automatic failover is paused: dynamodb:GetItem record failed$/);
  });
});

describe('restarts of one alarm episode are bounded (RESTART_POLICY)', () => {
  const base = RESTART_POLICY.firstBackoffSeconds * 1000;
  /** `n` incidents of the episode, each ending `gap` ms after the previous, the last at `lastEnd`. */
  const incidents = (n: number, lastEnd: number, status = 'SUCCEEDED'): ExecutionSeen[] =>
    Array.from({ length: n }, (_, i) => anExecution({ name: `orders-alarm-${i}`, status, startedAt: lastEnd - (n - i) * 1000 - 500, stoppedAt: lastEnd - (n - 1 - i) * 1000 }));

  it('restarts at once after the first incident of the episode ended (what held it back cleared), then backs off', () => {
    expect(decideRestart(restart({ executions: ok([anExecution({ stoppedAt: NOW - 1000 })]) })).start).toBe(true);
    const waiting = decideRestart(restart({ executions: ok(incidents(2, NOW - base + 1000, 'FAILED')) }));
    expect(waiting).toMatchObject({ start: false, held: true });
    expect(waiting.reason).toMatch(/2 incident\(s\) of this alarm episode ended without settling it \(last orders-alarm-1 FAILED\): backing off until 2026-12-06T03:10:01.000Z$/);
    expect(decideRestart(restart({ executions: ok(incidents(2, NOW - base)) })).start).toBe(true);
  });

  it('doubles the wait with each further incident of the same episode', () => {
    expect(decideRestart(restart({ executions: ok(incidents(3, NOW - base)) })).start).toBe(false);
    expect(decideRestart(restart({ executions: ok(incidents(3, NOW - 2 * base)) })).start).toBe(true);
  });

  it('stops after maxIncidents refused or undecided incidents, however long ago they ended: a person or a new alarm state starts the next', () => {
    const verdict = decideRestart(restart({ executions: ok(incidents(RESTART_POLICY.maxIncidents, NOW - 300_000)) }));
    expect(verdict).toMatchObject({ start: false, held: true });
    expect(verdict.reason).toMatch(new RegExp(`${RESTART_POLICY.maxIncidents} incident\\(s\\) .*: no more automatic restarts until the alarm changes state; a person decides`));
  });

  it('counts only the incidents of this episode: those started before the alarm last changed state belong to another', () => {
    const before = anExecution({ startedAt: Date.parse(SINCE) - 60_000, stoppedAt: Date.parse(SINCE) - 30_000 });
    expect(decideRestart(restart({ executions: ok(Array.from({ length: RESTART_POLICY.maxIncidents }, () => before)) })).start).toBe(true);
  });
});

describe('a cluster\'s executions are matched exactly', () => {
  it('never takes the executions of "app-2" for those of "app"', () => {
    const app2 = executionNameFor('app-2', 'alarm', '2026-12-06T03:00:00.000Z');
    expect(isExecutionOf('app', app2)).toBe(false);
    expect(isExecutionOf('app-2', app2)).toBe(true);
    expect(isExecutionOf('app', executionNameFor('app', 'manual', '2026-12-06T03:00:00.000Z'))).toBe(true);
    expect(isExecutionOf('app', executionNameFor('app-alarm', 'alarm', '2026-12-06T03:00:00.000Z'))).toBe(false);
  });
});
