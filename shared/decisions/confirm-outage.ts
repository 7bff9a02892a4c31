import { answerOf, type OutageVerdict, type PolicyView, type ReceiverView, type Signal } from './types';

const describeSignals = (signals: Signal[]) => signals.map((s) => `${s.name}: ${answerOf(s)} (${s.detail})`).join('; ');

/**
 * The standbys' view from their WAL receivers: a receiver that heard from its sender within
 * `staleSeconds` says the primary is alive. A standby the control plane cannot reach is no
 * evidence, and standbys in other regions alone cannot tell a partition between regions from an
 * outage: "down" needs every reachable receiver stale, one of them in the primary's region. Pure.
 */
export const judgeReceivers = (views: ReceiverView[], staleSeconds: number): Signal => {
  const base = { name: 'standbys' as const };
  const reachable = views.filter((v) => v.reachable);
  const fresh = reachable.filter((v) => v.lastMessageAgeSeconds !== null && v.lastMessageAgeSeconds <= staleSeconds);
  const describe = (v: ReceiverView) =>
    v.lastMessageAgeSeconds === null ? `${v.node}: no WAL receiver` : `${v.node}: last message ${v.lastMessageAgeSeconds.toFixed(1)} s ago`;
  const unreachable = views.filter((v) => !v.reachable).map((v) => v.node);
  const ignored = unreachable.length > 0 ? `; not evidence: ${unreachable.join(', ')} (not reachable from the control plane)` : '';
  if (fresh.length > 0) {
    return { ...base, down: false, cause: 'receiving', detail: `${fresh.map((v) => v.node).join(', ')} still receive WAL from the primary (${fresh.map(describe).join(', ')})${ignored}` };
  }
  if (reachable.length === 0) return { ...base, down: null, cause: 'no-standby-reachable', detail: `no standby answers${ignored}` };
  if (!reachable.some((v) => v.sameRegion)) {
    return {
      ...base,
      down: null,
      cause: 'other-regions-only',
      detail: `only standbys in other regions answered (${reachable.map(describe).join(', ')}): a partition between regions looks the same${ignored}`,
    };
  }
  return { ...base, down: true, cause: 'receivers-stale', detail: `no WAL receiver heard from the primary within ${staleSeconds} s (${reachable.map(describe).join(', ')})${ignored}` };
};

/**
 * Decides whether the primary is really gone. A primary that answers the database probe — as
 * writable, or with an error reply (a server that replies is alive) — always vetoes; otherwise
 * `requiredSignals` independent signals must say "down", on the first check and again on each
 * re-check. An "unknown" signal never counts as down. Pure.
 */
export const judgeOutage = (signals: Signal[], attempt: number, policy: PolicyView, streak = attempt): OutageVerdict => {
  const ec2 = signals.find((s) => s.name === 'ec2');
  const regionHealthy = ec2?.regionUnreachable !== true;
  const cloudEvidence = ec2?.regionUnreachable === true || ec2?.instanceDown === true;
  const probe = signals.find((s) => s.name === 'database');
  const base = { attempt, signals, regionHealthy, cloudEvidence };
  if (probe && probe.down === false) {
    return { ...base, decision: 'not-confirmed', reason: `primary answers the database probe: no failover (${probe.detail})` };
  }
  const down = signals.filter((s) => s.down === true).length;
  if (down < policy.requiredSignals) {
    return {
      ...base,
      decision: 'not-confirmed',
      reason: `only ${down} of ${signals.length} signals say the primary is down (policy needs ${policy.requiredSignals}): ${describeSignals(signals)}`,
    };
  }
  const summary = `${down} of ${signals.length} signals say the primary is down: ${describeSignals(signals)}`;
  if (streak <= policy.rechecks) {
    return { ...base, decision: 'recheck', streak, reason: `${summary}; re-checking (${streak} of ${policy.rechecks + 1} consecutive checks)` };
  }
  return { ...base, decision: 'confirmed', streak, reason: `outage confirmed on ${streak} consecutive checks: ${summary}` };
};

/** What decides whether a not-confirmed outage is watched further. */
export interface WatchFacts {
  /** The failover alarm's state now ('ALARM', 'OK', …), or null when it could not be read. */
  alarmState: string | null;
  /** Seconds since the first check of this execution. */
  elapsedSeconds: number;
  /** policy.recheckDeadlineSeconds */
  deadlineSeconds: number;
}

/**
 * No dead ends: an outage not confirmed while the failover alarm is still in ALARM (or its state
 * cannot be read: re-checking never acts) is checked again until the deadline; then the run ends
 * `undecided`, which tells a person to decide. An alarm back to OK ends it as not confirmed. Pure.
 */
export const watchOutage = (verdict: OutageVerdict, facts: WatchFacts): OutageVerdict => {
  if (verdict.decision !== 'not-confirmed') return verdict;
  const alarm = facts.alarmState === null ? 'the failover alarm state is unknown' : `the failover alarm is ${facts.alarmState}`;
  if (facts.alarmState !== null && facts.alarmState !== 'ALARM') return { ...verdict, reason: `${verdict.reason}; ${alarm}: not re-checking` };
  if (facts.elapsedSeconds < facts.deadlineSeconds) {
    return { ...verdict, decision: 'recheck', streak: 0, reason: `${verdict.reason}; ${alarm}: re-checking (${Math.round(facts.elapsedSeconds)} s of ${facts.deadlineSeconds} s)` };
  }
  return {
    ...verdict,
    decision: 'undecided',
    reason: `${verdict.reason}; ${alarm} and the outage is still not confirmed after ${facts.deadlineSeconds} s of re-checks: a person must decide`,
  };
};
