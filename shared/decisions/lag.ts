import type { LagEstimate, PositionSample, StandbyFacts } from './types';

/**
 * The most advanced writer position anyone has seen: the monitor's last observation, and every
 * standby's received WAL and the sender's reported WAL end. Using the standbys' own positions keeps
 * the guard honest when the monitor's last view is old or frozen.
 */
export const referencePosition = (history: PositionSample[], standbys: StandbyFacts[]): number =>
  Math.max(
    0,
    history.at(-1)?.lsn ?? 0,
    ...standbys.flatMap((s) => [s.receiveLsn ?? 0, s.senderEndLsn ?? 0]),
  );

/**
 * When did the writer move past `lsn`? Linear interpolation between the last published position at
 * or before it and the first beyond it. Null when no published position is beyond it (the candidate
 * is at or ahead of the last one) or the first one already was (it is older than the history).
 * A writer that stood still at `lsn` over several samples moved past it after the last of them.
 */
const timeAtPosition = (history: PositionSample[], lsn: number): number | null => {
  const i = history.findIndex((point) => point.lsn > lsn);
  if (i <= 0) return null;
  const before = history[i - 1]!;
  const after = history[i]!;
  return before.at + ((lsn - before.lsn) / (after.lsn - before.lsn)) * (after.at - before.at);
};

/**
 * The writes after the last published position: the writer's rate over its last two samples,
 * carried on until `lostAt` (the first sample that found it gone). Null without a rate or a time.
 */
export const unobservedTail = (history: PositionSample[], lostAt: number | null | undefined): { bytes: number; ms: number } | null => {
  const last = history.at(-1);
  const previous = history.at(-2);
  if (!last || !previous || lostAt === null || lostAt === undefined || last.at <= previous.at) return null;
  const ms = Math.max(0, lostAt - last.at);
  return { bytes: Math.round(((last.lsn - previous.lsn) / (last.at - previous.at)) * ms), ms };
};

/**
 * How much WAL `candidate` has not received: bytes against the reference position, seconds from the
 * writer's position history (how long ago the writer was where the candidate is now), and an upper
 * bound that adds what the writer probably wrote after it was last observed. Pure.
 */
export const estimateLag = (
  candidate: StandbyFacts,
  history: PositionSample[],
  standbys: StandbyFacts[],
  lostAt?: number | null,
): LagEstimate => {
  const observed = estimateObservedLag(candidate, history, standbys);
  const tail = unobservedTail(history, lostAt);
  const rate = writerRateOf(history);
  const writerRate = rate === null ? null : { bytesPerSecond: rate, carriedUntil: tail ? lostAt! : history.at(-1)!.at };
  if (!tail) return { ...observed, upperBoundBytes: null, upperBoundSeconds: null, writerRate };
  const received = candidate.receiveLsn ?? candidate.replayLsn ?? 0;
  const projected = history.at(-1)!.lsn + tail.bytes;
  const upperBoundBytes = Math.max(observed.bytes, projected - received);
  return {
    ...observed,
    upperBoundBytes,
    upperBoundSeconds: upperBoundBytes > 0 ? (observed.seconds ?? 0) + tail.ms / 1000 : 0,
    writerRate,
  };
};

/** Bytes a second over the writer's last two published positions (null without two). */
const writerRateOf = (history: PositionSample[]): number | null => {
  const last = history.at(-1);
  const previous = history.at(-2);
  return last && previous && last.at > previous.at ? (last.lsn - previous.lsn) / ((last.at - previous.at) / 1000) : null;
};

/**
 * The bound once the fence saw the old writer's instance stopped at `stoppedAt`: a writer the
 * monitor lost (a cut path, a host in its stopping phase) may have written until then, so the
 * writer's rate is carried on from where the estimate stopped carrying it. Unchanged without a rate.
 * Pure.
 */
export const boundUntilStopped = (lag: LagEstimate, stoppedAt: number): Pick<LagEstimate, 'upperBoundBytes' | 'upperBoundSeconds'> => {
  const rate = lag.writerRate;
  if (!rate) return { upperBoundBytes: lag.upperBoundBytes ?? null, upperBoundSeconds: lag.upperBoundSeconds ?? null };
  const extraMs = Math.max(0, stoppedAt - rate.carriedUntil);
  const extraBytes = Math.round(rate.bytesPerSecond * (extraMs / 1000));
  return {
    upperBoundBytes: (lag.upperBoundBytes ?? lag.bytes) + extraBytes,
    upperBoundSeconds: (lag.upperBoundSeconds ?? lag.seconds ?? 0) + extraMs / 1000,
  };
};

const estimateObservedLag = (
  candidate: StandbyFacts,
  history: PositionSample[],
  standbys: StandbyFacts[],
): Omit<LagEstimate, 'upperBoundBytes' | 'upperBoundSeconds'> => {
  const referenceLsn = referencePosition(history, standbys);
  const received = candidate.receiveLsn ?? candidate.replayLsn ?? 0;
  const bytes = Math.max(0, referenceLsn - received);
  const last = history.at(-1);
  if (bytes === 0) return { bytes, seconds: 0, referenceLsn, basis: 'has every WAL byte any node reported' };
  if (!last) return { bytes, seconds: null, referenceLsn, basis: 'no writer position history: seconds unknown' };
  const passedAt = timeAtPosition(history, received);
  if (passedAt === null) {
    const oldest = history[0]!;
    return {
      bytes,
      seconds: received < oldest.lsn ? (last.at - oldest.at) / 1000 : 0,
      referenceLsn,
      basis: received < oldest.lsn ? 'older than the whole position history (lower bound)' : 'at or ahead of the last observed writer position',
    };
  }
  return {
    bytes,
    seconds: Math.max(0, (last.at - passedAt) / 1000),
    referenceLsn,
    basis: `writer position history up to ${new Date(last.at).toISOString()}`,
  };
};
