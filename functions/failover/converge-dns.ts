import { convergeRecord, type ConvergeOutcome } from '../../shared/actions/repoint';
import { clustersSelected } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import { scheduledClusterInput } from '../../shared/scheduled';
import { leaseStore } from '../../shared/workflow/environment';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

export const convergeDnsInput = scheduledClusterInput;

/**
 * Scheduled: finishes every cluster-record repoint that Route 53 refused during a failover (its
 * control plane is in one region, which may be the one that failed). It outlives the execution
 * that recorded the intent and, under the cluster's lease, applies only the latest writer's target.
 */
export const convergeDns = async (input: { cluster?: string }): Promise<{ clusters: ConvergeOutcome[] }> => {
  const config = loadConfig();
  const clusters = await Promise.all(
    clustersSelected(config, input.cluster).map(async (cluster) => {
      const outcome = await convergeRecord(cluster, leaseStore(config));
      if (outcome.action === 'failed' || outcome.action === 'deferred') log.warn('cluster record not converged yet', { ...outcome });
      if (outcome.action === 'applied') log.info('cluster record converged', { ...outcome });
      return outcome;
    }),
  );
  return { clusters };
};

export const handler = lambda('convergeDns', convergeDns, { input: convergeDnsInput });
