import { ec2Client } from '../aws/clients/ec2';
import { FENCED_TAG, instanceState, stopInstance, tagInstance } from '../aws/ec2';
import type { ClusterContext } from '../config/cluster-context';
import { nextRecord, type FenceRecord } from '../decisions/cluster-record';
import { decidePendingFence, type PendingFenceVerdict } from '../decisions/pending-fence';
import { RecordConflictError } from '../errors';
import { log } from '../log';
import { clusterRecordStore } from '../workflow/environment';

export interface PendingFenceOutcome {
  node: string;
  verdict: PendingFenceVerdict;
  /** What was done (tag, stop), or why it could not be. */
  actions: string[];
}

export interface PendingFencesResult {
  cluster: string;
  fences: PendingFenceOutcome[];
  /** Generation of the record with the confirmed fences (null: nothing to record, or another writer got there first). */
  generation: number | null;
}

/**
 * Completes every fence of the cluster record that a failover could not confirm (the old writer's
 * region did not answer): asks each instance's region, stops what still runs (tagged fenced first),
 * and records the fences of stopped instances as confirmed, conditionally on the generation read
 * (a conflict leaves them for the next run). Nothing is written for a cluster without a record.
 */
export const convergeFences = async ({ config, cluster }: ClusterContext): Promise<PendingFencesResult> => {
  const store = clusterRecordStore(config);
  const record = await store.read(cluster.name);
  const pending = Object.entries(record?.fenced ?? {}).filter(([, fence]) => !fence.confirmed);
  if (!record || pending.length === 0) return { cluster: cluster.name, fences: [], generation: null };
  const fences = await Promise.all(
    pending.map(async ([name, fence]): Promise<PendingFenceOutcome> => {
      const node = cluster.nodes.find((n) => n.name === name);
      if (!node) return { node: name, verdict: { action: 'wait', reason: `${name} is no longer in the configuration: its fence is left as recorded` }, actions: [] };
      const ec2 = ec2Client(node.region);
      const instance = await instanceState(ec2, node.instanceId).then(
        (state) => ({ state }),
        (error: Error) => ({ error: error.message }),
      );
      const verdict = decidePendingFence({ node: name, fence, instance });
      const actions: string[] = [];
      if (verdict.action === 'fence') {
        try {
          await tagInstance(ec2, node.instanceId, FENCED_TAG, fence.by);
          actions.push(`tagged ${FENCED_TAG}=${fence.by}`);
          actions.push(`stop requested: ${await stopInstance(ec2, node.instanceId)}`);
        } catch (error) {
          actions.push(`could not fence ${name} yet: ${(error as Error).message}`);
        }
      }
      (verdict.action === 'wait' ? log.info : log.warn)('pending fence', { cluster: cluster.name, node: name, action: verdict.action, reason: verdict.reason, actions });
      return { node: name, verdict, actions };
    }),
  );
  const confirmed = fences.filter((f) => f.verdict.action === 'confirm');
  if (confirmed.length === 0) return { cluster: cluster.name, fences, generation: null };
  const at = new Date().toISOString();
  const fenced: Record<string, FenceRecord> = { ...record.fenced };
  for (const f of confirmed) fenced[f.node] = { ...fenced[f.node]!, confirmed: true, reason: `${fenced[f.node]!.reason}; ${f.verdict.reason}` };
  try {
    const written = await store.update(nextRecord(record, { fenced }, 'pending-fence check', at), record.generation);
    return { cluster: cluster.name, fences, generation: written.generation };
  } catch (error) {
    if (!(error instanceof RecordConflictError)) throw error;
    log.info('pending fences not recorded: the record changed meanwhile; next run', { cluster: cluster.name });
    return { cluster: cluster.name, fences, generation: null };
  }
};
