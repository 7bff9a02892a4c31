import { formatBytes } from '../units';
import { roleOf, type NodeTopology } from './topology';

export interface Readiness {
  ready: boolean;
  reason: string;
}

/**
 * Is `candidate` ready to take over from the live `writer` by a switchover (a failback is one)?
 * Only when it proves it: a standby whose WAL receiver streams from the writer, on the writer's
 * timeline, having replayed to within `maxLagBytes` of the writer's current position — what the
 * switchover itself checks before it stops writes. Whatever cannot be proven (a node that does not
 * answer, a receiver that does not stream, an unknown upstream or timeline, a position that cannot
 * be read) is not ready. Pure.
 */
export const switchoverReadiness = (writer: NodeTopology, candidate: NodeTopology, maxLagBytes: number): Readiness => {
  const w = writer.node;
  const c = candidate.node;
  const notReady = (reason: string): Readiness => ({ ready: false, reason });
  if (roleOf(writer) !== 'writer') return notReady(`${w} does not answer as a writer: ${c}'s readiness to take over from it cannot be proven`);
  const role = roleOf(candidate);
  if (role === 'unreachable') return notReady(`${c} does not answer (${candidate.reason ?? 'unreachable'})`);
  if (role !== 'standby') return notReady(`${c} is ${role === 'read-only' ? 'a read-only former primary' : 'writable'}, not a standby of ${w}`);
  const upstream = candidate.upstream ?? candidate.upstreamAddress;
  if (!candidate.streaming) {
    return notReady(`${c} is not streaming from ${w} (no WAL receiver streaming${upstream ? `; set to follow ${upstream}` : ''})`);
  }
  if (candidate.upstream !== w) return notReady(`${c} streams from ${upstream ?? 'an unknown upstream'}, not from ${w}`);
  if (candidate.timeline === null || writer.timeline === null || candidate.timeline !== writer.timeline) {
    const tl = (t: number | null) => (t === null ? 'an unknown timeline' : `timeline ${t}`);
    return notReady(`${c} is on ${tl(candidate.timeline)}, ${w} on ${tl(writer.timeline)}`);
  }
  if (writer.currentLsn === null || candidate.replayLsn === null) {
    return notReady(`${c}'s replay position or ${w}'s WAL position is unknown: how far behind it is cannot be measured`);
  }
  const behind = Math.max(0, writer.currentLsn - candidate.replayLsn);
  const cap = `cap ${formatBytes(maxLagBytes)}`;
  if (behind > maxLagBytes) return notReady(`${c} streams from ${w} but is ${formatBytes(behind)} behind (${cap})`);
  return { ready: true, reason: `${c} streams from ${w} on timeline ${writer.timeline}, ${formatBytes(behind)} behind (${cap})` };
};
