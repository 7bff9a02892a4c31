import { nextRecord, type ClusterRecord } from './cluster-record';
import { decideWriter, roleOf, type NodeTopology } from './topology';

/** What `pgfo resolve` decides: record the observed writer, nothing to do, or a refusal. */
export type ResolveVerdict =
  | { action: 'record'; next: ClusterRecord; reasons: string[] }
  | { action: 'none'; reasons: string[] }
  | { action: 'refuse'; reasons: string[] };

/**
 * An operator names the node that writes; the record takes it as the writer — on the timeline the
 * node itself reports, its fence (if the record had one) lifted — only when that node is the one node
 * observed accepting writes. Nodes that did not answer are named: the operator vouches for them.
 * Contradictions the new record would still hold (a standby ahead of the writer's timeline) are
 * reported, not hidden. Pure.
 */
export const decideResolve = (
  record: ClusterRecord,
  nodes: NodeTopology[],
  request: { node: string; by: string; reason: string },
  at: string,
): ResolveVerdict => {
  const seen = nodes.find((n) => n.node === request.node);
  if (!seen) return { action: 'refuse', reasons: [`${request.node} is not a node of ${record.cluster}`] };
  const writers = nodes.filter((n) => roleOf(n) === 'writer');
  if (roleOf(seen) !== 'writer') {
    const role = roleOf(seen);
    const what = role === 'unreachable' ? `does not answer (${seen.reason ?? 'unreachable'})` : `is ${role === 'read-only' ? 'a read-only former primary' : 'a standby'}`;
    return { action: 'refuse', reasons: [`${request.node} ${what}: only the node observed accepting writes can be recorded as the writer`] };
  }
  if (writers.length > 1) {
    return {
      action: 'refuse',
      reasons: [`${writers.map((w) => w.node).join(' and ')} all accept writes: stop (or rejoin) every one that must not write, then resolve`],
    };
  }
  const unobserved = nodes.filter((n) => roleOf(n) === 'unreachable').map((n) => `${n.node} did not answer (${n.reason ?? 'unreachable'}): taken on the operator's word not to write`);
  const fenced = { ...record.fenced };
  delete fenced[seen.node];
  const unchanged = record.writer === seen.node && !record.fenced[seen.node] && record.timeline === seen.timeline;
  if (unchanged) {
    return { action: 'none', reasons: [`${seen.node} is already the record's writer on timeline ${seen.timeline ?? 'unknown'} (generation ${record.generation}): nothing to resolve`] };
  }
  const next = nextRecord(
    record,
    {
      writer: seen.node,
      timeline: seen.timeline,
      fenced,
      nodes: { ...record.nodes, [seen.node]: { role: 'writer', upstream: null, timeline: seen.timeline, observedAt: at } },
    },
    `${request.by} (resolve: ${request.reason})`,
    at,
  );
  const before = `${record.writer} on timeline ${record.timeline ?? 'unknown'}${record.fenced[seen.node] ? `, ${seen.node} fenced (${record.fenced[seen.node]!.reason})` : ''}`;
  const reasons = [`the record named ${before}; now ${seen.node} on timeline ${seen.timeline ?? 'unknown'}, by ${request.by}: ${request.reason}`, ...unobserved];
  const after = decideWriter(next, nodes);
  if (!after.known) reasons.push(`still contradictory after this: ${after.reason}`);
  return { action: 'record', next, reasons };
};
