/** What is known of a node whose EC2 instance just started. */
export interface ReturnedNodeFacts {
  node: string;
  /** The instance's pgfo:fenced tag (the incident that fenced it), or null when absent. */
  fencedTag: string | null;
  /** How PostgreSQL answered once it was up: null when it did not answer within the wait. */
  observed: { inRecovery: boolean; readOnly: boolean } | null;
  /** Other nodes that take writes right now. */
  otherWriters: string[];
}

export type ReturnedNodeVerdict =
  | { action: 'fence-again'; reason: string }
  | { action: 'record'; reason: string }
  | { action: 'none'; reason: string };

/**
 * A node came back: a fenced node must never be a second writer. Fenced and writable → fence it
 * again at once; fenced and read-only, in recovery or silent → record that it needs a rejoin. Not
 * fenced but writable while another node writes → fence it too (a split brain in the making, e.g. an
 * old primary whose region was unreachable when it was fenced). Pure.
 */
export const decideReturnedNode = (facts: ReturnedNodeFacts): ReturnedNodeVerdict => {
  const { node, fencedTag, observed, otherWriters } = facts;
  const writable = observed !== null && !observed.inRecovery && !observed.readOnly;
  const others = otherWriters.filter((n) => n !== node);
  if (writable && fencedTag !== null) {
    return { action: 'fence-again', reason: `${node} was fenced (${fencedTag}) and came back writable: fenced again` };
  }
  if (writable && others.length > 0) {
    return { action: 'fence-again', reason: `${node} came back writable while ${others.join(', ')} takes writes: fenced to keep one writer` };
  }
  if (fencedTag !== null) {
    const state = observed === null ? 'PostgreSQL does not answer yet' : observed.inRecovery ? 'it is in recovery (read-only)' : 'it is read-only';
    return { action: 'record', reason: `${node} was fenced (${fencedTag}) and came back; ${state}: it needs a rejoin (pgfo rejoin)` };
  }
  return { action: 'none', reason: `${node} started and was not fenced${writable ? '; it is the only writer' : ''}` };
};
