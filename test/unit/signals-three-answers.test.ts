import { judgeOutage, judgeReceivers, watchOutage } from '../../shared/decisions/confirm-outage';
import { chooseCandidate } from '../../shared/decisions/choose-candidate';
import type { ReceiverView, Signal, StandbyFacts } from '../../shared/decisions/types';
import { classifyProbeFailure } from '../../shared/postgres/probe-error';

const policy = { maxLagBytes: 16 * 1024 * 1024, maxLagSeconds: 30, requiredSignals: 3, rechecks: 1 };
const signal = (name: Signal['name'], down: boolean | null, extra: Partial<Signal> = {}): Signal => ({ name, down, cause: 'test', detail: `${name} detail`, ...extra });
const allDown = (ec2: Partial<Signal> = { instanceDown: true }) => [signal('ec2', true, ec2), signal('database', true), signal('standbys', true), signal('metrics', true)];
const receiver = (node: string, over: Partial<ReceiverView> = {}): ReceiverView => ({ node, sameRegion: true, reachable: true, lastMessageAgeSeconds: 0.5, ...over });
const aStandby = (node: string, region: string, over: Partial<StandbyFacts> = {}): StandbyFacts => ({
  node,
  region,
  role: region === 'us-east-1' ? 'sync-standby' : 'async-standby',
  reachable: true,
  inRecovery: true,
  receiveLsn: 1000,
  replayLsn: 1000,
  senderEndLsn: 1000,
  receiverStreaming: false,
  ...over,
});

describe('judgeOutage', () => {
  it('vetoes on a primary that answers, writable or with an error reply', () => {
    const verdict = judgeOutage([signal('ec2', true), signal('database', false, { cause: 'error-reply' }), signal('standbys', true), signal('metrics', true)], 2, policy);
    expect(verdict).toMatchObject({ decision: 'not-confirmed', reason: expect.stringMatching(/primary answers the database probe/) });
  });

  it('never counts an unknown signal as down', () => {
    const verdict = judgeOutage([signal('ec2', null), signal('database', true), signal('standbys', null), signal('metrics', true)], 2, policy);
    expect(verdict).toMatchObject({ decision: 'not-confirmed', reason: expect.stringMatching(/only 2 of 4 .*ec2: unknown/) });
  });

  it('needs consecutive confirming checks: the streak, not the attempt number', () => {
    expect(judgeOutage(allDown(), 5, policy, 1)).toMatchObject({ decision: 'recheck', streak: 1 });
    expect(judgeOutage(allDown(), 6, policy, 2)).toMatchObject({ decision: 'confirmed', streak: 2 });
  });

  it('gives cloud evidence only for an instance EC2 reports down or a region whose API is unreachable', () => {
    expect(judgeOutage(allDown({ instanceDown: true }), 2, policy).cloudEvidence).toBe(true);
    expect(judgeOutage(allDown({ regionUnreachable: true }), 2, policy)).toMatchObject({ cloudEvidence: true, regionHealthy: false });
    const noCloud = [signal('ec2', null), signal('database', true), signal('standbys', true), signal('metrics', true)];
    expect(judgeOutage(noCloud, 2, policy)).toMatchObject({ cloudEvidence: false, regionHealthy: true });
  });
});

describe('judgeReceivers', () => {
  it('says up while any reachable receiver heard from the primary within the limit', () => {
    expect(judgeReceivers([receiver('standby_az2', { lastMessageAgeSeconds: 3 }), receiver('standby_dr', { sameRegion: false, lastMessageAgeSeconds: null })], 4)).toMatchObject({ down: false, cause: 'receiving' });
  });

  it('judges by the age of the last message, not by a receiver still marked streaming', () => {
    expect(judgeReceivers([receiver('standby_az2', { lastMessageAgeSeconds: 9 })], 4)).toMatchObject({ down: true, cause: 'receivers-stale' });
  });

  it('takes no evidence from a standby the control plane cannot reach', () => {
    const verdict = judgeReceivers([receiver('standby_az2', { reachable: false, lastMessageAgeSeconds: null }), receiver('standby_dr', { sameRegion: false, lastMessageAgeSeconds: null })], 4);
    expect(verdict).toMatchObject({ down: null, cause: 'other-regions-only', detail: expect.stringMatching(/not evidence: standby_az2/) });
    expect(judgeReceivers([receiver('standby_az2', { reachable: false, lastMessageAgeSeconds: null })], 4)).toMatchObject({ down: null, cause: 'no-standby-reachable' });
  });
});

describe('watchOutage', () => {
  const notConfirmed = judgeOutage([signal('ec2', false), signal('database', true), signal('standbys', false), signal('metrics', true)], 1, policy);

  it('re-checks while the alarm is in ALARM (or unreadable) and the deadline has not passed', () => {
    expect(watchOutage(notConfirmed, { alarmState: 'ALARM', elapsedSeconds: 30, deadlineSeconds: 300 })).toMatchObject({ decision: 'recheck', streak: 0, reason: expect.stringMatching(/re-checking \(30 s of 300 s\)/) });
    expect(watchOutage(notConfirmed, { alarmState: null, elapsedSeconds: 30, deadlineSeconds: 300 })).toMatchObject({ decision: 'recheck' });
  });

  it('ends undecided at the deadline, telling a person to decide', () => {
    expect(watchOutage(notConfirmed, { alarmState: 'ALARM', elapsedSeconds: 300, deadlineSeconds: 300 })).toMatchObject({ decision: 'undecided', reason: expect.stringMatching(/a person must decide$/) });
  });

  it('ends not confirmed once the alarm is back to OK, and leaves other verdicts alone', () => {
    expect(watchOutage(notConfirmed, { alarmState: 'OK', elapsedSeconds: 5, deadlineSeconds: 300 })).toMatchObject({ decision: 'not-confirmed' });
    const confirmed = judgeOutage(allDown(), 2, policy);
    expect(watchOutage(confirmed, { alarmState: 'OK', elapsedSeconds: 5, deadlineSeconds: 300 })).toBe(confirmed);
  });
});

describe('cross-region promotion', () => {
  // The monitor's published position is the lag guard's reference (the other standby does not answer).
  const facts = { failedPrimary: { node: 'primary', region: 'us-east-1' }, history: [{ at: Date.parse('2026-01-01T00:00:00Z'), lsn: 1000 }], regionHealthy: true, acceptDataLoss: false };

  it('refuses the DR replica without the cloud’s own evidence, even when the in-region standby does not answer', () => {
    const standbys = [aStandby('standby_az2', 'us-east-1', { reachable: false, reason: 'timeout' }), aStandby('standby_dr', 'us-west-2')];
    const verdict = chooseCandidate({ ...facts, standbys, crossRegionAllowed: false }, policy);
    expect(verdict).toMatchObject({ promote: false, reason: expect.stringMatching(/standby_dr is in another region .*EC2 gave none/) });
    expect(chooseCandidate({ ...facts, standbys, crossRegionAllowed: true }, policy)).toMatchObject({ promote: true, node: 'standby_dr' });
  });
});

describe('classifyProbeFailure', () => {
  const pgError = (code: string) => Object.assign(new Error('server said no'), { code, severity: 'FATAL' });
  it('tells an error reply (alive) from refused, timed out and cut connections', () => {
    expect(['28000', '28P01', '53300', '57P03'].map((code) => classifyProbeFailure(new Error('wrapped', { cause: pgError(code) })))).toEqual(['error-reply', 'error-reply', 'error-reply', 'error-reply']);
    expect(classifyProbeFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('refused');
    expect(classifyProbeFailure(new Error('wrapped', { cause: new Error('Connection terminated due to connection timeout') }))).toBe('timed-out');
    expect(classifyProbeFailure(new Error('Connection terminated unexpectedly'))).toBe('connection-lost');
    expect(classifyProbeFailure(new Error('ssm:GetParameter failed'))).toBe('unknown');
  });
});
