/**
 * The writer lease: the writer's host renews "node N is the writer, granted at generation G" in a
 * store that stays writable only where a majority of three regions is reachable, and stops its
 * PostgreSQL when it cannot. These are the pure rules of both sides: the agent's (may I take it,
 * must I stop, may I start again) and the control plane's (held, expired or unknown, and whether a
 * promotion may pass the writer). No client, no clock: times are handed in. The agent's are its own
 * host's only; the control plane's are those of the stack's hosts (its monitor's first sight of a
 * counter may start the count, `monitorSeed`: docs/architecture.md says why a skew between them is safe).
 */

/** The lease as stored. */
export interface WriterLease {
  node: string;
  /** The cluster record's generation when this node took it. */
  generation: number;
  /** Incremented at every renewal; the only thing the control plane compares. */
  counter: number;
  /** Set (by the execution that saw it lapse) when the control plane revoked it; null otherwise. */
  revokedBy: string | null;
}

/** What the agent knows of the cluster record. */
export interface RecordView {
  writer: string;
  generation: number;
}

export type TakeVerdict = { take: true; generation: number; reason: string } | { take: false; reason: string };

/**
 * May `node` hold the writer role, and at which generation? Granted positively: only when the
 * record names this node as writer. Its own lease, not revoked, is kept at its generation; a lease
 * of another node yields to the record (the control plane recorded this node after that one); a
 * lease of this node that the control plane revoked is never taken back automatically (the
 * failover that revoked it may promote another node at any moment): an operator decides. Pure.
 */
export const mayTakeWriterLease = (node: string, record: RecordView | null, lease: WriterLease | null): TakeVerdict => {
  if (!record) return { take: false, reason: 'the cluster record is absent: no writer role without it' };
  if (record.writer !== node) return { take: false, reason: `the cluster record (generation ${record.generation}) names ${record.writer} as the writer, not ${node}` };
  if (!lease) return { take: true, generation: record.generation, reason: `the record names ${node} at generation ${record.generation} and no lease was taken yet` };
  if (lease.node !== node) {
    return lease.generation < record.generation
      ? { take: true, generation: record.generation, reason: `the record (generation ${record.generation}) names ${node}; the lease of ${lease.node} (generation ${lease.generation}) yields to it` }
      : { take: false, reason: `the lease names ${lease.node} at generation ${lease.generation}, later than the record's ${record.generation}` };
  }
  if (lease.revokedBy) {
    return { take: false, reason: `the control plane revoked ${node}'s lease (generation ${lease.generation}, by ${lease.revokedBy}): it stays down for 'pgfo rejoin' or an operator` };
  }
  return { take: true, generation: lease.generation, reason: `${node} holds the lease at generation ${lease.generation}` };
};

/** The agent's state between two turns (its own clock). */
export interface AgentFacts {
  /** When the last renewal that succeeded was sent (ms, agent's clock); null: never renewed. */
  lastRenewalSentAt: number | null;
  now: number;
  /** The agent stopped PostgreSQL (and only then may it start it again). */
  stopped: boolean;
  /** The last renewal attempt: renewed, refused (no longer this node's lease), or failed (store not reached). */
  attempt: 'renewed' | 'refused' | 'failed';
  /** Seconds after the last renewal sent that the agent stops PostgreSQL (below writerLeaseSeconds). */
  stopAfterSeconds: number;
}

export type AgentAction = { action: 'none' | 'stop' | 'start'; reason: string };

/**
 * One turn of the agent on the writer's host. A refused renewal (the lease names someone else,
 * or was revoked) stops PostgreSQL at once and for good; a failed one stops it once no renewal
 * succeeded for `stopAfterSeconds` (kept below the control plane's `writerLeaseSeconds`, so the
 * server is down before the control plane may promote past it); a renewal that succeeds again starts
 * it. Pure.
 */
export const agentTurn = (facts: AgentFacts): AgentAction => {
  if (facts.attempt === 'refused') {
    return facts.stopped
      ? { action: 'none', reason: 'the writer lease is not this node\'s: PostgreSQL stays down (pgfo rejoin)' }
      : { action: 'stop', reason: 'the writer lease is no longer this node\'s (the record names another writer, or the control plane revoked it): stopping PostgreSQL for good (pgfo rejoin)' };
  }
  if (facts.attempt === 'renewed') {
    return facts.stopped ? { action: 'start', reason: 'lease renewed again and the record still names this node: starting PostgreSQL' } : { action: 'none', reason: 'lease renewed' };
  }
  const since = facts.lastRenewalSentAt === null ? Infinity : (facts.now - facts.lastRenewalSentAt) / 1000;
  if (since < facts.stopAfterSeconds) return { action: 'none', reason: `renewal failed; last renewal ${since.toFixed(1)} s ago (stop after ${facts.stopAfterSeconds} s)` };
  return !facts.stopped
    ? {
        action: 'stop',
        reason:
          facts.lastRenewalSentAt === null
            ? 'the writer lease was never renewed: PostgreSQL must not take writes'
            : `the writer lease could not be renewed for ${since.toFixed(1)} s (limit ${facts.stopAfterSeconds} s): stopping PostgreSQL so that it takes no writes`,
      }
    : { action: 'none', reason: `the writer lease still cannot be renewed (${since.toFixed(1)} s): PostgreSQL stays down` };
};

/** The control plane's first sight of the current counter value (its own clock). */
export interface LeaseObservation {
  node: string;
  generation: number;
  counter: number;
  /** ISO time, on a clock of this stack (the confirmation's or its monitor's), when this counter value was first seen. */
  since: string;
  /** The counter changed between two of this execution's observations: renewals seen happening. */
  renewing: boolean;
  /**
   * Who saw the counter first: 'monitor' when `since` is the monitor's earlier observation (its
   * published WriterLeaseCounter series, see `monitorSeed`); absent: this execution's own check.
   */
  seenBy?: 'monitor';
}

/** One published WriterLeaseCounter data point: the start of its period (ms) and the counter. */
export interface CounterPoint {
  at: number;
  value: number;
}

/**
 * The control plane's starting observation from the monitor's WriterLeaseCounter series of this
 * very lease (same cluster, node and generation): the longest run of data points at the end of the
 * series whose value is the counter just read, and `since` = the end of the first one's period (a
 * point's timestamp is the start of a `periodMs` period in which the monitor read it; the later
 * bound is taken). The counter of one lease only grows, so a run of equal values means it did not
 * change in between. Null when the series is empty or its newest point is not the current counter
 * (the monitor has not seen it yet: the control plane counts from its own check). Pure.
 */
export const monitorSeed = (
  lease: { node: string; generation: number; counter: number },
  series: CounterPoint[],
  periodMs: number,
): LeaseObservation | null => {
  const points = [...series].sort((a, b) => a.at - b.at);
  let first: CounterPoint | null = null;
  for (let i = points.length - 1; i >= 0 && points[i]!.value === lease.counter; i -= 1) first = points[i]!;
  if (!first) return null;
  return { node: lease.node, generation: lease.generation, counter: lease.counter, since: new Date(first.at + periodMs).toISOString(), renewing: false, seenBy: 'monitor' };
};

export type LeaseFact = 'held' | 'expired' | 'unknown';

export interface LeaseJudgement {
  lease: LeaseFact;
  /** held because renewals were seen, or only because a full lease has not yet passed. */
  renewing: boolean;
  observation: LeaseObservation | null;
  detail: string;
}

/**
 * Judges the writer lease from one read (`lease`, or `'unreadable'`) and this execution's earlier
 * observation (its own, or the monitor's seed). Held: the counter changed, or has not yet stayed the
 * same for `leaseSeconds` on the control plane's clocks. Expired: the same counter (same node and generation) for at least
 * `leaseSeconds`, or revoked. Unknown: the store could not be read, or no lease was ever taken, or
 * the lease names a node other than the writer being judged. Pure.
 */
export const judgeWriterLease = (
  writer: string,
  lease: WriterLease | null | 'unreadable',
  previous: LeaseObservation | null,
  now: Date,
  leaseSeconds: number,
): LeaseJudgement => {
  if (lease === 'unreadable') return { lease: 'unknown', renewing: false, observation: previous, detail: 'the writer lease store could not be read' };
  if (!lease) return { lease: 'unknown', renewing: false, observation: null, detail: 'no writer lease was ever taken (no agent installed)' };
  if (lease.node !== writer) return { lease: 'unknown', renewing: false, observation: null, detail: `the writer lease names ${lease.node}, not ${writer}` };
  if (lease.revokedBy) {
    return { lease: 'expired', renewing: false, observation: previous, detail: `${writer}'s lease was revoked by ${lease.revokedBy} after it lapsed` };
  }
  const same = previous !== null && previous.node === lease.node && previous.generation === lease.generation && previous.counter === lease.counter;
  const observation: LeaseObservation = same
    ? previous
    : { node: lease.node, generation: lease.generation, counter: lease.counter, since: now.toISOString(), renewing: previous !== null && previous.node === lease.node };
  const unchanged = (now.getTime() - new Date(observation.since).getTime()) / 1000;
  const origin = observation.seenBy === 'monitor' ? ` (counter ${lease.counter} first seen by the monitor at ${observation.since})` : '';
  if (unchanged >= leaseSeconds) {
    return { lease: 'expired', renewing: false, observation, detail: `${writer}'s lease counter stayed at ${lease.counter} for ${unchanged.toFixed(1)} s (lease ${leaseSeconds} s)${origin}: it stopped itself` };
  }
  return {
    lease: 'held',
    renewing: observation.renewing,
    observation,
    detail: observation.renewing
      ? `${writer} renews its lease (counter ${lease.counter}, changed ${unchanged.toFixed(1)} s ago): it is alive and reaches the store's majority`
      : `${writer}'s lease counter ${lease.counter} unchanged for ${unchanged.toFixed(1)} s of ${leaseSeconds} s${origin}: waiting for it to lapse`,
  };
};

/** What the witness says of the writer, when the caller asked it ('not-configured': not asked here; the
 * confirmation applies the witness's own gate, `crossRegionGate`, after this one). */
export type WitnessView = 'agrees-down' | 'sees-alive' | 'unknown' | 'not-configured';

export type GateVerdict = { promote: true; fenceUnreachableAcceptable: boolean; reason: string } | { promote: false; wait: boolean; reason: string };

/**
 * May a failover promote past the writer? The one rule:
 * - held: never (the writer reaches the store's majority; it is alive). `wait` when renewals were
 *   not seen, only a lease not yet run out.
 * - expired: yes, in-region or across regions; the writer stopped itself, so a fence that could not
 *   reach the writer's region is acceptable.
 * - unknown: in-region, today's behaviour (the fence decides). Across regions: a witness that
 *   agrees the writer is down allows it; one that sees it alive refuses; without a witness
 *   (`not-configured`), today's behaviour — sound only for a cluster with no agents installed (its
 *   lease was never taken); a cluster whose lease store became unreadable is refused when a witness
 *   is configured but cannot tell. Pure.
 */
export const promotionGate = (facts: { lease: LeaseJudgement; witness: WitnessView; crossRegion: boolean }): GateVerdict => {
  const { lease, witness, crossRegion } = facts;
  if (lease.lease === 'held') return { promote: false, wait: !lease.renewing, reason: `writer lease held: ${lease.detail}` };
  if (lease.lease === 'expired') return { promote: true, fenceUnreachableAcceptable: true, reason: `writer lease expired: ${lease.detail}` };
  if (!crossRegion) return { promote: true, fenceUnreachableAcceptable: false, reason: `writer lease unknown (${lease.detail}); in-region: the fence decides` };
  if (witness === 'agrees-down') return { promote: true, fenceUnreachableAcceptable: false, reason: `writer lease unknown (${lease.detail}); the witness agrees the writer is down` };
  if (witness === 'sees-alive') return { promote: false, wait: false, reason: `writer lease unknown (${lease.detail}); the witness sees the writer alive` };
  if (witness === 'unknown') return { promote: false, wait: true, reason: `writer lease unknown (${lease.detail}) and the witness cannot tell` };
  return { promote: true, fenceUnreachableAcceptable: false, reason: `writer lease unknown (${lease.detail}); across regions the witness's gate decides next (without a witness, the fence)` };
};

/**
 * The outage verdict after the writer-lease gate: an outage the signals confirmed is confirmed only
 * when the gate lets the promotion pass; a gate that waits (a lease not yet run out) turns it into a
 * re-check, one that refuses into "not confirmed" (watched further while the alarm stays in ALARM).
 * Verdicts the signals did not confirm are unchanged. Pure.
 */
export const gateOutage = <V extends { decision: 'confirmed' | 'recheck' | 'not-confirmed' | 'undecided'; reason: string; streak?: number }>(verdict: V, gate: GateVerdict): V => {
  if (verdict.decision !== 'confirmed') return verdict;
  if (gate.promote) return { ...verdict, reason: `${verdict.reason}; ${gate.reason}` };
  return gate.wait
    ? { ...verdict, decision: 'recheck', reason: `${verdict.reason}; not promoting yet: ${gate.reason}` }
    : { ...verdict, decision: 'not-confirmed', streak: 0, reason: `${verdict.reason}; no failover: ${gate.reason}` };
};
