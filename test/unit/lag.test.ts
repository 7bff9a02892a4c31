import { chooseCandidate } from '../../shared/decisions/choose-candidate';
import { boundUntilStopped, estimateLag, referencePosition, unobservedTail } from '../../shared/decisions/lag';
import { aPolicy, aStandbyFacts as aStandby } from '../fixtures/decisions';

const MB = 1024 * 1024;
const policy = aPolicy({ maxLagBytes: 16 * MB, maxLagSeconds: 30 });
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

  it('carries the last rate on until the fence saw the instance stopped: a writer the monitor lost may have written until then', () => {
    const lost = estimateLag(aStandby('standby_dr', { receiveLsn: 130 * MB }), history, [], 3500);
    expect(lost.writerRate).toEqual({ bytesPerSecond: 10 * MB, carriedUntil: 3500 });
    expect(boundUntilStopped(lost, 4500)).toEqual({ upperBoundBytes: 15 * MB, upperBoundSeconds: 1.5 });
    // Stopped before the monitor found it gone: nothing to add.
    expect(boundUntilStopped(lost, 3000)).toEqual({ upperBoundBytes: 5 * MB, upperBoundSeconds: 0.5 });
    // Never found gone: carried from the last published position.
    const never = estimateLag(aStandby('standby_dr', { receiveLsn: 130 * MB }), history, [], null);
    expect(never).toMatchObject({ upperBoundBytes: null, writerRate: { carriedUntil: history.at(-1)!.at } });
    expect(boundUntilStopped(never, history.at(-1)!.at + 250)).toEqual({ upperBoundBytes: 2.5 * MB, upperBoundSeconds: 0.25 });
    // Without two published positions there is no rate: the bound stays what it was.
    const single = estimateLag(aStandby('standby_dr', { receiveLsn: 130 * MB }), history.slice(-1), [], 3500);
    expect(boundUntilStopped(single, 9000)).toEqual({ upperBoundBytes: null, upperBoundSeconds: null });
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

describe('lag estimate bases', () => {
  it('has no seconds without a writer position history, and says so', () => {
    const behind = aStandby('standby_dr', { receiveLsn: 100 * MB });
    const lag = estimateLag(behind, [], [aStandby('standby_az2', { receiveLsn: 104 * MB })]);
    expect(lag).toMatchObject({ bytes: 4 * MB, seconds: null, basis: 'no writer position history: seconds unknown' });
  });

  it('is zero when the candidate has every byte any node reported', () => {
    expect(estimateLag(aStandby('standby_dr', { receiveLsn: 130 * MB }), history, [])).toMatchObject({ bytes: 0, seconds: 0, basis: 'has every WAL byte any node reported' });
  });

  it('counts a candidate behind the oldest published position as behind the whole history (a lower bound)', () => {
    const lag = estimateLag(aStandby('standby_dr', { receiveLsn: 90 * MB }), history, []);
    expect(lag).toMatchObject({ bytes: 40 * MB, seconds: 3, basis: 'older than the whole position history (lower bound)' });
  });

  it('counts a candidate exactly at the oldest published position as behind by the whole history', () => {
    const lag = estimateLag(aStandby('standby_dr', { receiveLsn: 100 * MB }), history, []);
    expect(lag).toMatchObject({ bytes: 30 * MB, seconds: 3, basis: expect.stringContaining('writer position history up to') });
  });

  it('counts no seconds for a candidate ahead of the last published position but behind another standby', () => {
    const lag = estimateLag(aStandby('standby_dr', { receiveLsn: 132 * MB }), history, [aStandby('standby_az2', { receiveLsn: 134 * MB })]);
    expect(lag).toMatchObject({ bytes: 2 * MB, seconds: 0, basis: 'at or ahead of the last observed writer position' });
  });

  it('measures the seconds from the last sample a writer that stood still was seen at the candidate’s position', () => {
    // Idle from t=1 s to t=3 s at 110 MB, then 10 MB/s again until t=5 s.
    const idle = [{ at: 0, lsn: 100 * MB }, { at: 1000, lsn: 110 * MB }, { at: 2000, lsn: 110 * MB }, { at: 3000, lsn: 110 * MB }, { at: 5000, lsn: 130 * MB }];
    expect(estimateLag(aStandby('standby_dr', { receiveLsn: 110 * MB }), idle, []).seconds).toBe(2);
    const stillIdle = idle.slice(0, 4);
    const lag = estimateLag(aStandby('standby_dr', { receiveLsn: 110 * MB }), stillIdle, [aStandby('standby_az2', { receiveLsn: 110 * MB + 4096 })]);
    expect(lag).toMatchObject({ bytes: 4096, seconds: 0, basis: 'at or ahead of the last observed writer position' });
  });

  it('uses the sender’s reported WAL end as a reference too', () => {
    expect(estimateLag(aStandby('standby_dr', { receiveLsn: 130 * MB, senderEndLsn: 131 * MB }), history, [aStandby('standby_dr', { receiveLsn: 130 * MB, senderEndLsn: 131 * MB })]).bytes).toBe(1 * MB);
  });

  it('falls back to the replayed position when the received one is unknown', () => {
    expect(estimateLag(aStandby('standby_dr', { receiveLsn: null, replayLsn: 120 * MB }), history, []).bytes).toBe(10 * MB);
  });

  it('has no unobserved tail without two samples, without a time the writer was lost, or when the time did not advance', () => {
    expect(unobservedTail(history.slice(0, 1), 3500)).toBeNull();
    expect(unobservedTail(history, null)).toBeNull();
    expect(unobservedTail(history, undefined)).toBeNull();
    expect(unobservedTail([{ at: 1000, lsn: 1 }, { at: 1000, lsn: 2 }], 3500)).toBeNull();
  });
});

describe('referencePosition', () => {
  it('is the furthest of the last published position, every standby’s received WAL and its sender’s reported end', () => {
    expect(referencePosition(history, [])).toBe(130 * MB);
    expect(referencePosition(history, [aStandby('standby_az2', { receiveLsn: 131 * MB }), aStandby('standby_dr', { senderEndLsn: 132 * MB })])).toBe(132 * MB);
    expect(referencePosition([], [aStandby('standby_dr', { receiveLsn: null, senderEndLsn: null })])).toBe(0);
  });
});
