import type { FencingMode } from '../config/schema';

/** What the fence saw of the old writer's instance while trying to stop it. */
export interface FenceFacts {
  node: string;
  instanceId: string;
  region: string;
  /** The last state EC2 reported for the instance (null: it never answered with one). */
  lastSeenState: string | null;
  /** The API answered and refused a call that matters (stop, or every state read): why. */
  refusal: string | null;
  /** Every call failed without an answer (connection errors, timeouts): the regional API is unreachable. */
  unreachable: string | null;
  /** The tag naming the incident was written before the stop (or why not). */
  tagged: boolean;
  tagProblem: string | null;
  waitedMs: number;
}

/** An operator's explicit acceptance of an unfenced failover (manual failovers only). */
export interface FenceOverride {
  acceptedBy: string;
}

export interface FenceVerdict {
  fenced: boolean;
  proceed: boolean;
  reason: string;
}

const STOPPED = new Set(['stopped', 'terminated']);

/**
 * May the failover move traffic? Only when the instance is seen stopped — or when the policy says
 * so: `never`, an operator's explicit override, or (`unless-region-unreachable`) a regional API that
 * never answered while nothing showed the instance running. `selfFenced` (why the old writer
 * stopped itself: its writer lease expired and was revoked) makes an unreachable regional API
 * acceptable under every mode: the writer cannot take writes without renewing. Pure.
 */
export const judgeFence = (facts: FenceFacts, mode: FencingMode, override: FenceOverride | null = null, selfFenced: string | null = null): FenceVerdict => {
  const who = `${facts.node} (${facts.instanceId})`;
  const tagNote = facts.tagged ? '' : `; tag not written: ${facts.tagProblem ?? 'unknown'}`;
  if (facts.lastSeenState !== null && STOPPED.has(facts.lastSeenState)) {
    return { fenced: true, proceed: true, reason: `${who} fenced: instance is ${facts.lastSeenState}${tagNote}` };
  }
  const why =
    facts.refusal !== null
      ? `EC2 refused: ${facts.refusal}`
      : facts.lastSeenState !== null
        ? `instance still ${facts.lastSeenState} after ${Math.round(facts.waitedMs / 1000)} s`
        : `EC2 API in ${facts.region} unreachable: ${facts.unreachable ?? 'no answer'}`;
  const notFenced = `${who} not fenced (${why})`;
  if (override) return { fenced: false, proceed: true, reason: `${notFenced}; proceeding unfenced: accepted by ${override.acceptedBy}` };
  if (mode === 'never') return { fenced: false, proceed: true, reason: `${notFenced}; proceeding unfenced (requireFencing: never)` };
  const regionOut = facts.refusal === null && facts.lastSeenState === null && facts.unreachable !== null;
  if (regionOut && selfFenced !== null) {
    return { fenced: false, proceed: true, reason: `${notFenced}; proceeding unfenced: the old writer fenced itself (${selfFenced})` };
  }
  if (regionOut && mode === 'unless-region-unreachable') {
    return { fenced: false, proceed: true, reason: `${notFenced}; proceeding unfenced: its region's API is unreachable (requireFencing: unless-region-unreachable)` };
  }
  return { fenced: false, proceed: false, reason: `${notFenced}; not proceeding (requireFencing: ${mode}): a person must decide` };
};
