import type { LagEstimate, PositionSample, StandbyFacts } from './types';

const MB = 1024 * 1024;

/** "41 MB" / "812 kB" / "96 B": sizes in reasons meant for people. */
export const formatBytes = (bytes: number): string => {
  if (bytes >= MB) return `${(bytes / MB).toFixed(bytes >= 10 * MB ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} B`;
};

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

/** When did the writer pass `lsn`? Linear interpolation over the published history. */
const timeAtPosition = (history: PositionSample[], lsn: number): number | null => {
  for (let i = 0; i < history.length; i += 1) {
    const point = history[i]!;
    if (point.lsn >= lsn) {
      const previous = history[i - 1];
      if (!previous || point.lsn === previous.lsn) return previous ? previous.at : null;
      return previous.at + ((lsn - previous.lsn) / (point.lsn - previous.lsn)) * (point.at - previous.at);
    }
  }
  return null;
};

/**
 * How much WAL `candidate` has not received: bytes against the reference position, seconds from the
 * writer's position history (how long ago the writer was where the candidate is now). Pure.
 */
export const estimateLag = (candidate: StandbyFacts, history: PositionSample[], standbys: StandbyFacts[]): LagEstimate => {
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
      basis: received < oldest.lsn ? 'older than the whole position history (lower bound)' : 'ahead of the last observed writer position',
    };
  }
  return {
    bytes,
    seconds: Math.max(0, (last.at - passedAt) / 1000),
    referenceLsn,
    basis: `writer position history up to ${new Date(last.at).toISOString()}`,
  };
};
