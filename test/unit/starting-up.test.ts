import { judgeOutage } from '../../shared/decisions/confirm-outage';
import { judgeStartingUp, STARTING_UP_CAUSE } from '../../shared/decisions/starting-up';
import { sqlStateOf } from '../../shared/postgres/probe-error';
import { aPolicy, aSignal } from '../fixtures/decisions';

const T0 = Date.parse('2026-12-06T08:00:00.000Z');
const at = (seconds: number) => T0 + seconds * 1000;
/** Every other signal says down: only the probe's answer decides. */
const signals = (probe = aSignal('database', false, { cause: STARTING_UP_CAUSE, detail: 'primary answers only "cannot connect now" (57P03)' })) => [
  aSignal('ec2', true),
  probe,
  aSignal('standbys', true),
  aSignal('metrics', true),
];
const policy = aPolicy({ requiredSignals: 3, rechecks: 1 });

describe('judgeStartingUp: a server answering only 57P03 is alive for a grace, then not evidence of life', () => {
  it('vetoes at the first check that sees it, and starts counting from that check', () => {
    const judged = judgeStartingUp(signals(), { since: null, now: at(0), graceSeconds: 60 });
    expect(judged.startingUpSince).toBe(new Date(at(0)).toISOString());
    expect(judgeOutage(judged.signals, 1, policy).decision).toBe('not-confirmed');
    expect(judged.signals[1]!.detail).toMatch(/alive for now: answering only that for 0 s of the 60 s grace/);
  });

  it('still vetoes at the end of the grace, measured from the first check across the re-checks', () => {
    const judged = judgeStartingUp(signals(), { since: new Date(at(0)).toISOString(), now: at(60), graceSeconds: 60 });
    expect(judged.signals[1]).toMatchObject({ down: false, cause: STARTING_UP_CAUSE });
    expect(judged.startingUpSince).toBe(new Date(at(0)).toISOString());
  });

  it('counts the probe as down past the grace, and the reason says since when and why', () => {
    const judged = judgeStartingUp(signals(), { since: new Date(at(0)).toISOString(), now: at(61), graceSeconds: 60 });
    expect(judged.signals[1]).toMatchObject({ down: true, cause: 'starting-up-too-long' });
    const verdict = judgeOutage(judged.signals, 5, policy, 1);
    expect(verdict.decision).toBe('recheck');
    expect(verdict.reason).toMatch(/database: down \(.*answered nothing else for 61 s since 2026-12-06T08:00:00.000Z \(grace 60 s\): not evidence of life\)/);
  });

  it('forgets the start once the probe answers anything else: a later 57P03 gets a whole grace again', () => {
    const writable = judgeStartingUp(signals(aSignal('database', false, { cause: 'writable' })), { since: new Date(at(0)).toISOString(), now: at(90), graceSeconds: 60 });
    expect(writable.startingUpSince).toBeNull();
    expect(writable.signals[1]).toMatchObject({ down: false, cause: 'writable' });
    const again = judgeStartingUp(signals(), { since: writable.startingUpSince, now: at(95), graceSeconds: 60 });
    expect(again.signals[1]).toMatchObject({ down: false });
  });

  it('leaves every other answer of the probe alone (an error reply is still a veto, a refusal still down)', () => {
    for (const probe of [aSignal('database', false, { cause: 'error-reply' }), aSignal('database', true, { cause: 'refused' }), aSignal('database', null, { cause: 'unknown' })]) {
      const judged = judgeStartingUp(signals(probe), { since: new Date(at(0)).toISOString(), now: at(600), graceSeconds: 60 });
      expect(judged.signals[1]).toEqual(probe);
    }
  });

  it('restarts the grace, never counts down, when the recorded start cannot be read', () => {
    const judged = judgeStartingUp(signals(), { since: 'not a time', now: at(600), graceSeconds: 60 });
    expect(judged.signals[1]).toMatchObject({ down: false });
    expect(judged.startingUpSince).toBe(new Date(at(600)).toISOString());
  });
});

describe('sqlStateOf', () => {
  it("reads a server reply's SQLSTATE through wrapping errors, and nothing from a failure without a reply", () => {
    const reply = Object.assign(new Error('the database system is not accepting connections'), { code: '57P03', severity: 'FATAL' });
    expect(sqlStateOf(new Error('cannot connect', { cause: reply }))).toBe('57P03');
    expect(sqlStateOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeNull();
  });
});
