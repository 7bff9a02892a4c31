import type { ClusterConfig, FailoverConfig } from '../config/schema';
import { LeaseLostError } from '../errors';
import { leaseStore } from './environment';

/**
 * Before a step that changes the world (fence, promote, repoint): asserts, with a conditional
 * write, that this execution still holds the cluster's lease, and extends it by `leaseSeconds`.
 * @throws LeaseLostError when it does not: the run must stop, someone else may be acting.
 */
export const holdLease = async (config: FailoverConfig, cluster: ClusterConfig, executionName: string, step: string): Promise<void> => {
  const held = await leaseStore(config).extend(cluster.name, executionName, cluster.policy.leaseSeconds);
  if (!held) throw new LeaseLostError(`${step}: execution ${executionName} no longer holds the lease of ${cluster.name}; stopping before any change`);
};
