import type { OutageVerdict, PolicyView, Signal } from './types';

const describeSignals = (signals: Signal[]) =>
  signals.map((s) => `${s.name}: ${s.down === null ? 'unknown' : s.down ? 'down' : 'up'} (${s.detail})`).join('; ');

/**
 * Decides whether the primary is really gone. A primary that answers the database probe as writable
 * always vetoes; otherwise `requiredSignals` independent signals must say "down", on the first check
 * and again on each re-check. Pure.
 */
export const judgeOutage = (signals: Signal[], attempt: number, policy: PolicyView): OutageVerdict => {
  const regionHealthy = !signals.some((s) => s.regionUnreachable === true);
  const probe = signals.find((s) => s.name === 'database');
  const base = { attempt, signals, regionHealthy };
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
  if (attempt <= policy.rechecks) {
    return { ...base, decision: 'recheck', reason: `${summary}; re-checking (${attempt} of ${policy.rechecks + 1} checks)` };
  }
  return { ...base, decision: 'confirmed', reason: `outage confirmed on ${attempt} consecutive checks: ${summary}` };
};
