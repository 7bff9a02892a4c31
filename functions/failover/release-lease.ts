import { clusterContext } from '../../shared/config/cluster-context';
import { leaseStore } from '../../shared/workflow/environment';
import { executionInputSchema, type FailoverState } from '../../shared/workflow/state';
import { lambda } from '../../shared/lambda';

/**
 * Releases the lease. After a promotion the cooldown starts (anti-flap: no automatic failover
 * again for `cooldownSeconds`); after anything else the cluster is free at once, so a re-run can
 * finish an interrupted failover.
 */
export const releaseLease = async (state: FailoverState): Promise<{ released: boolean; cooldownSeconds: number }> => {
  const { config, cluster } = clusterContext(state.cluster);
  const promoted = Boolean(state.promotion) && !state.error;
  const cooldownSeconds = promoted ? cluster.policy.cooldownSeconds : 0;
  const released = await leaseStore(config).release(state.cluster, state.executionName, cooldownSeconds);
  return { released, cooldownSeconds };
};

export const handler = lambda('releaseLease', releaseLease, { input: executionInputSchema });
