import { clusterContext } from '../../shared/config/cluster-context';
import { readRecord } from '../../shared/actions/topology';
import { recordCompletion } from '../../shared/decisions/cluster-record';
import { clusterRecordStore, leaseStore } from '../../shared/workflow/environment';
import { executionInputSchema, type FailoverState } from '../../shared/workflow/state';
import { lambda } from '../../shared/lambda';

/**
 * Releases the lease. After a promotion the incident is marked finished in the cluster record (a
 * later failover starts from the new writer) and the cooldown starts (anti-flap: no automatic
 * failover again for `cooldownSeconds`); after anything else the cluster is free at once and the
 * record keeps the incident unfinished, so a re-run converges on the node already promoted.
 */
export const releaseLease = async (state: FailoverState): Promise<{ released: boolean; cooldownSeconds: number; generation?: number }> => {
  const context = clusterContext(state.cluster);
  const { config, cluster } = context;
  const promoted = Boolean(state.promotion) && !state.error;
  let generation: number | undefined;
  if (promoted) {
    const record = await readRecord(context);
    const next = recordCompletion(record, state.executionName, new Date().toISOString());
    generation = next ? (await clusterRecordStore(config).update(next, record.generation)).generation : record.generation;
  }
  const cooldownSeconds = promoted ? cluster.policy.cooldownSeconds : 0;
  const released = await leaseStore(config).release(state.cluster, state.executionName, cooldownSeconds);
  return { released, cooldownSeconds, ...(generation === undefined ? {} : { generation }) };
};

export const handler = lambda('releaseLease', releaseLease, { input: executionInputSchema });
