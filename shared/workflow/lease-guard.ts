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

/**
 * Runs a step's reads while its lease assertion (`holding`, from holdLease) is under way: reads
 * change nothing, so they need not wait for it, but nothing is returned before it has answered. A
 * lost lease is the error thrown even when a read failed too; otherwise the first failed read's.
 */
export const readWhileHolding = async <T extends unknown[]>(holding: Promise<void>, ...reads: { [K in keyof T]: Promise<T[K]> }): Promise<T> => {
  const [held, ...results] = await Promise.allSettled([holding, ...reads]);
  if (held.status === 'rejected') throw held.reason;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
};
