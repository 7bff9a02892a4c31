import { formatBytes } from '../units';
import { estimateLag } from './lag';
import type { CandidateVerdict, PolicyView, PositionSample, StandbyFacts } from './types';

export interface CandidateFacts {
  /** The node the configuration calls primary (the one that failed). */
  failedPrimary: { node: string; region: string };
  standbys: StandbyFacts[];
  history: PositionSample[];
  /** When the monitor first found the writer gone (bounds the writes nobody observed). */
  writerLostAt?: number | null;
  regionHealthy: boolean;
  /**
   * A standby in another region may be promoted: the cloud's own evidence says the primary is gone
   * (its instance not running or impaired, or its region's API unreachable), or an operator asked.
   * A partition between regions alone must never promote across regions. @default true
   */
  crossRegionAllowed?: boolean;
  /** Why not, when the cloud's evidence was there but the witness's gate refused (the refusal names it). */
  crossRegionRefusal?: string;
  /** Operator accepted data loss (manual failover): the lag guard is reported, not enforced. */
  acceptDataLoss: boolean;
  /** Operator asked for this node (switchover or manual failover). */
  requestedNode?: string;
  /** A previous run of this failover promoted this node: converge on it. */
  convergeOn?: string;
  /**
   * The failed writer's synchronous standby as the cluster record holds it (`node` null: none since
   * `since`); absent when not recorded for that writer (synchronousMode off, or never confirmed).
   */
  synchronous?: { node: string | null; since: string };
}

/** Whether promoting `node` keeps every commit the failed writer acknowledged, and why (never silent). */
export const acknowledgedBy = (node: string, facts: CandidateFacts): { zeroLoss: boolean; detail: string } => {
  const failed = facts.failedPrimary.node;
  const sync = facts.synchronous;
  if (!sync) return { zeroLoss: false, detail: `which standby was ${failed}'s synchronous one is not recorded: promoting ${node} can lose commits ${failed} acknowledged` };
  if (sync.node === node) return { zeroLoss: true, detail: `${node} was ${failed}'s synchronous standby (recorded since ${sync.since}): it holds every commit ${failed} acknowledged` };
  if (sync.node === null) return { zeroLoss: false, detail: `${failed} had no synchronous standby since ${sync.since}: promoting ${node} may lose what ${failed} acknowledged since then` };
  const guard = facts.acceptDataLoss ? 'data loss accepted by the operator' : 'held to the lag guard';
  return { zeroLoss: false, detail: `${node} is not the synchronous standby (${sync.node} is, since ${sync.since}): a data-loss failover (${guard}); commits ${failed} acknowledged may be lost` };
};

/** Preference order: the in-region synchronous standby while the region is healthy, else DR first. */
const preferenceOrder = (facts: CandidateFacts): StandbyFacts[] => {
  const inRegion = facts.standbys.filter((s) => s.region === facts.failedPrimary.region);
  const elsewhere = facts.standbys.filter((s) => s.region !== facts.failedPrimary.region);
  // The recorded synchronous standby holds every acknowledged commit; without one, the configured role.
  const isSync = (s: StandbyFacts) => (facts.synchronous?.node ? s.node === facts.synchronous.node : s.role === 'sync-standby');
  const bySync = (a: StandbyFacts, b: StandbyFacts) => Number(isSync(b)) - Number(isSync(a));
  const ordered = facts.regionHealthy
    ? [...inRegion.sort(bySync), ...elsewhere]
    : [...elsewhere, ...inRegion.sort(bySync)];
  const requested = facts.requestedNode ? ordered.filter((s) => s.node === facts.requestedNode) : ordered;
  // Only with data loss accepted can a non-follower be chosen at all: then every follower comes first
  // (otherwise each is refused in its place, and the reasons keep the preference order).
  if (!facts.acceptDataLoss) return requested;
  return [...requested.filter((s) => s.follows !== false), ...requested.filter((s) => s.follows === false)];
};

/**
 * The standbys whose positions are on the failed writer's history. A standby on another timeline or
 * following another upstream holds WAL of a different history: its LSN is no measure of anyone's lag.
 */
const comparable = (facts: CandidateFacts): StandbyFacts[] => facts.standbys.filter((s) => s.follows !== false);

/**
 * A position to measure the candidate against that does not come through the candidate's own link:
 * the writer's published history or another standby's position. (What the sender last reported to
 * the candidate is as stale as that link: a throttled or cut link holds back its reports too.)
 */
const hasIndependentReference = (standby: StandbyFacts, facts: CandidateFacts): boolean =>
  facts.history.length > 0 || comparable(facts).some((s) => s.node !== standby.node && s.reachable && (s.receiveLsn !== null || s.senderEndLsn !== null));

const refusal = (standby: StandbyFacts, facts: CandidateFacts, policy: PolicyView): string | null => {
  if (standby.region !== facts.failedPrimary.region && facts.crossRegionAllowed === false) {
    if (facts.crossRegionRefusal) return `${standby.node} is in another region (${standby.region}): ${facts.crossRegionRefusal}`;
    return `${standby.node} is in another region (${standby.region}): a cross-region promotion needs the cloud's own evidence (instance not running or impaired, or its region's API unreachable), and EC2 gave none`;
  }
  if (!standby.reachable) return `${standby.node} does not answer (${standby.reason ?? 'unreachable'})`;
  const lag = estimateLag(standby, facts.history, comparable(facts), facts.writerLostAt);
  if (facts.acceptDataLoss) return null;
  if (standby.follows === false) {
    // Like with like: a standby left on another timeline or upstream holds WAL of another history, so
    // no distance by position makes it a zero-loss candidate: refused whatever it says.
    return `${standby.followReason ?? `${standby.node} does not follow ${facts.failedPrimary.node}`} (${formatBytes(lag.bytes)} behind the writer's last known position by position alone, which does not compare across histories): not a candidate`;
  }
  if (!hasIndependentReference(standby, facts)) {
    return `${standby.node}: no writer position to measure it against (no published history, no other standby): the lag guard cannot pass it without --accept-data-loss`;
  }
  if (lag.bytes > policy.maxLagBytes) {
    return `${standby.node} is ${formatBytes(lag.bytes)} behind (cap ${formatBytes(policy.maxLagBytes)})`;
  }
  if (lag.seconds !== null && lag.seconds > policy.maxLagSeconds) {
    return `${standby.node} is ${lag.seconds.toFixed(1)} s behind (cap ${policy.maxLagSeconds} s)`;
  }
  return null;
};

/**
 * Chooses the node to promote, or says why none may be. A node already out of recovery (a
 * previous run of this failover promoted it) is chosen again and reported as such. Pure.
 */
export const chooseCandidate = (facts: CandidateFacts, policy: PolicyView): CandidateVerdict => {
  const reasons: string[] = [];
  const promoted = facts.standbys.find(
    (s) =>
      s.reachable &&
      !s.inRecovery &&
      s.node !== facts.failedPrimary.node &&
      // a read-only former primary is out of recovery too: only a node known to be promoted by this failover
      (s.follows === undefined || s.node === facts.convergeOn) &&
      (!facts.requestedNode || s.node === facts.requestedNode),
  );
  if (promoted) {
    const acknowledged = acknowledgedBy(promoted.node, facts);
    return {
      promote: true,
      node: promoted.node,
      alreadyPrimary: true,
      lag: estimateLag(promoted, facts.history, comparable(facts), facts.writerLostAt),
      acknowledged,
      reasons: [`${promoted.node} is already writable (promoted earlier): converging on it`, acknowledged.detail],
    };
  }
  const order = preferenceOrder(facts);
  if (order.length === 0) {
    const reason = facts.requestedNode ? `no standby named ${facts.requestedNode}` : 'the cluster has no standby';
    return { promote: false, reason, reasons: [reason] };
  }
  reasons.push(
    facts.regionHealthy
      ? `region ${facts.failedPrimary.region} answers: in-region synchronous standby preferred`
      : `region ${facts.failedPrimary.region} is out: a standby in another region preferred`,
  );
  for (const standby of order) {
    const refused = refusal(standby, facts, policy);
    if (refused) {
      reasons.push(refused);
      continue;
    }
    const lag = estimateLag(standby, facts.history, comparable(facts), facts.writerLostAt);
    const seconds = lag.seconds === null ? 'unknown seconds' : `${lag.seconds.toFixed(1)} s`;
    const acknowledged = acknowledgedBy(standby.node, facts);
    if (standby.follows === false) {
      // Data loss accepted, and no follower could be chosen: its lag by position is no measure of loss.
      const why = standby.followReason ?? `${standby.node} does not follow ${facts.failedPrimary.node}`;
      reasons.push(
        acknowledged.detail,
        `${standby.node} chosen with data loss accepted by the operator, although ${why}: its position (${formatBytes(lag.bytes)} behind) is on another history, so the loss is not measured`,
      );
      return { promote: true, node: standby.node, alreadyPrimary: false, lag: { ...lag, basis: `not comparable: ${why}` }, acknowledged, reasons };
    }
    reasons.push(
      acknowledged.detail,
      `${standby.node} chosen: ${formatBytes(lag.bytes)} / ${seconds} behind${facts.acceptDataLoss ? ' (data loss accepted by the operator)' : ''}`,
    );
    return { promote: true, node: standby.node, alreadyPrimary: false, lag, acknowledged, reasons };
  }
  return { promote: false, reason: `no standby may be promoted: ${reasons.slice(1).join('; ')}`, reasons };
};
