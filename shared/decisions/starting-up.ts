import type { Signal } from './types';

/** The database probe's cause for a server that answered only SQLSTATE 57P03 (cannot connect now). */
export const STARTING_UP_CAUSE = 'starting-up';

export interface StartingUpFacts {
  /** When this execution's checks first saw the primary answer only 57P03 in a row (ISO), else null. */
  since: string | null;
  /** This check's time, epoch ms, on the control plane's own clock. */
  now: number;
  /** policy.startingUpGraceSeconds */
  graceSeconds: number;
}

/**
 * A server that answers only "starting up", "shutting down" or "not accepting connections"
 * (SQLSTATE 57P03) is alive for a while — crash recovery, a restart — and the database probe vetoes
 * meanwhile. Answering nothing else for longer than `graceSeconds`, measured across the re-checks
 * from the first check that saw it, is no evidence of life: a primary stuck in recovery that will
 * never serve writes (hot_standby off, a recovery that cannot reach consistency) must not hold
 * off a failover forever. Returns the signals with the probe's answer so judged, and the time the
 * run of 57P03 answers began (null when this check's probe said something else). Pure.
 */
export const judgeStartingUp = (signals: Signal[], facts: StartingUpFacts): { signals: Signal[]; startingUpSince: string | null } => {
  const probe = signals.find((s) => s.name === 'database');
  if (!probe || probe.cause !== STARTING_UP_CAUSE) return { signals, startingUpSince: null };
  // (a start that cannot be read restarts the grace: never a reason to count the probe as down)
  const since = facts.since !== null && !Number.isNaN(Date.parse(facts.since)) ? facts.since : new Date(facts.now).toISOString();
  const seconds = Math.max(0, (facts.now - Date.parse(since)) / 1000);
  if (seconds <= facts.graceSeconds) {
    const held: Signal = { ...probe, detail: `${probe.detail}; alive for now: answering only that for ${seconds.toFixed(0)} s of the ${facts.graceSeconds} s grace` };
    return { signals: signals.map((s) => (s === probe ? held : s)), startingUpSince: since };
  }
  const stuck: Signal = {
    ...probe,
    down: true,
    cause: 'starting-up-too-long',
    detail: `${probe.detail}; it has answered nothing else for ${seconds.toFixed(0)} s since ${since} (grace ${facts.graceSeconds} s): not evidence of life`,
  };
  return { signals: signals.map((s) => (s === probe ? stuck : s)), startingUpSince: since };
};
