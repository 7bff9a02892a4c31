import type { ClusterContext } from '../config/cluster-context';
import { observeTopology } from '../actions/topology';
import { decideResolve } from '../decisions/resolve';
import { clusterRecordStore } from '../workflow/environment';

export interface ResolveResult {
  cluster: string;
  outcome: 'resolved' | 'unchanged' | 'refused';
  writer: string;
  timeline: number | null;
  generation: number;
  reasons: string[];
}

/**
 * Records the node that is observed accepting writes as the cluster's writer (its fence lifted):
 * how an operator ends a contradiction the workflow refused on, once what must not write has been
 * stopped or rejoined. The write is conditional on the generation observed (RecordConflictError when
 * anything changed the record meanwhile: nothing is overwritten).
 */
export const resolveWriter = async (context: ClusterContext, request: { node: string; by: string; reason: string }): Promise<ResolveResult> => {
  const { record, nodes } = await observeTopology(context);
  const verdict = decideResolve(record, nodes, request, new Date().toISOString());
  const result = { cluster: context.cluster.name, reasons: verdict.reasons };
  if (verdict.action === 'refuse' || verdict.action === 'none') {
    return { ...result, outcome: verdict.action === 'none' ? 'unchanged' : 'refused', writer: record.writer, timeline: record.timeline, generation: record.generation };
  }
  const written = await clusterRecordStore(context.config).update(verdict.next, record.generation);
  return { ...result, outcome: 'resolved', writer: written.writer, timeline: written.timeline, generation: written.generation };
};
