import { chooseCandidate } from '../../shared/decisions/choose-candidate';
import { estimateLag, unobservedTail } from '../../shared/decisions/lag';
import type { StandbyFacts } from '../../shared/decisions/types';

const MB = 1024 * 1024;
const aStandby = (node: string, overrides: Partial<StandbyFacts> = {}): StandbyFacts => ({
  node,
  region: 'us-west-2',
  role: 'async-standby',
  reachable: true,
  inRecovery: true,
  receiveLsn: 100 * MB,
  replayLsn: 100 * MB,
  senderEndLsn: null,
  receiverStreaming: false,
  ...overrides,
});
const policy = { maxLagBytes: 16 * MB, maxLagSeconds: 30, requiredSignals: 3, rechecks: 1 };
// The writer wrote 10 MB/s, observed at t=0..3 s.
const history = [0, 1, 2, 3].map((s) => ({ at: s * 1000, lsn: 100 * MB + s * 10 * MB }));

describe('lag guard and loss estimate', () => {
  it('measures a candidate against the last published writer position, in bytes and seconds', () => {
    const lag = estimateLag(aStandby('standby_dr', { receiveLsn: 115 * MB }), history, []);
    expect(lag.bytes).toBe(15 * MB);
    expect(lag.seconds).toBeCloseTo(1.5, 5);
  });

  it('uses another standby that received more than the monitor saw as the reference', () => {
    const ahead = aStandby('standby_az2', { receiveLsn: 135 * MB, region: 'us-east-1', role: 'sync-standby' });
    expect(estimateLag(aStandby('standby_dr', { receiveLsn: 130 * MB }), history, [ahead]).bytes).toBe(5 * MB);
  });

  it('bounds the writes nobody observed by the last rate until the writer was found gone', () => {
    expect(unobservedTail(history, 3500)).toEqual({ bytes: 5 * MB, ms: 500 });
    const lag = estimateLag(aStandby('standby_dr', { receiveLsn: 130 * MB }), history, [], 3500);
    expect(lag).toMatchObject({ bytes: 0, upperBoundBytes: 5 * MB, upperBoundSeconds: 0.5 });
    expect(estimateLag(aStandby('standby_dr'), history, [], null).upperBoundBytes).toBeNull();
  });

  it('refuses a candidate over the cap with the distance in its reason, and chooses one under it', () => {
    const far = aStandby('standby_dr', { receiveLsn: 100 * MB });
    const refused = chooseCandidate(
      { failedPrimary: { node: 'primary', region: 'us-east-1' }, standbys: [far], history, regionHealthy: false, acceptDataLoss: false },
      policy,
    );
    expect(refused).toMatchObject({ promote: false, reason: expect.stringContaining('standby_dr is 30 MB behind (cap 16 MB)') });
    const accepted = chooseCandidate(
      { failedPrimary: { node: 'primary', region: 'us-east-1' }, standbys: [far], history, regionHealthy: false, acceptDataLoss: true },
      policy,
    );
    expect(accepted).toMatchObject({ promote: true, node: 'standby_dr', reasons: expect.arrayContaining([expect.stringContaining('data loss accepted by the operator')]) });
  });

  it('prefers the in-region synchronous standby while the region answers, the DR replica when it is out', () => {
    const sync = aStandby('standby_az2', { region: 'us-east-1', role: 'sync-standby', receiveLsn: 130 * MB });
    const dr = aStandby('standby_dr', { receiveLsn: 128 * MB });
    const facts = { failedPrimary: { node: 'primary', region: 'us-east-1' }, standbys: [dr, sync], history, acceptDataLoss: false };
    expect(chooseCandidate({ ...facts, regionHealthy: true }, policy)).toMatchObject({ promote: true, node: 'standby_az2' });
    expect(chooseCandidate({ ...facts, regionHealthy: false }, policy)).toMatchObject({ promote: true, node: 'standby_dr' });
  });

  it('refuses a candidate when nothing independent says where the writer was, unless the operator accepted loss', () => {
    const alone = aStandby('standby_dr', { region: 'us-west-2' });
    const facts = { failedPrimary: { node: 'primary', region: 'us-east-1' }, standbys: [alone], history: [], regionHealthy: false };
    const refused = chooseCandidate({ ...facts, acceptDataLoss: false }, policy);
    expect(refused).toMatchObject({ promote: false, reason: expect.stringContaining('standby_dr: no writer position to measure it against') });
    expect(chooseCandidate({ ...facts, acceptDataLoss: true }, policy)).toMatchObject({ promote: true, node: 'standby_dr' });
    // What the sender last reported through the same (cut or slow) link is no independent reference.
    expect(chooseCandidate({ ...facts, standbys: [aStandby('standby_dr', { senderEndLsn: 100 * MB })], acceptDataLoss: false }, policy)).toMatchObject({ promote: false });
    expect(chooseCandidate({ ...facts, history, acceptDataLoss: false }, policy)).toMatchObject({ promote: false, reason: expect.stringContaining('30 MB behind') });
  });

  it('measures a standby on another timeline against the writer position and refuses it with the distance', () => {
    const stale = aStandby('standby_dr', { receiveLsn: 110 * MB, follows: false, followReason: 'standby_dr is on timeline 1, standby_az2 on timeline 2' });
    const verdict = chooseCandidate({ failedPrimary: { node: 'standby_az2', region: 'us-east-1' }, standbys: [stale], history, regionHealthy: true, acceptDataLoss: false }, policy);
    expect(verdict).toMatchObject({ promote: false, reason: expect.stringContaining('standby_dr is on timeline 1, standby_az2 on timeline 2 (20 MB behind the writer') });
  });
});
