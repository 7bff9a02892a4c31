import * as z from 'zod';
import { convergeRecord, type ConvergeOutcome } from '../../shared/actions/repoint';
import { clustersSelected } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import { nameSchema } from '../../shared/config/schema';
import { leaseStore } from '../../shared/workflow/environment';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

const isScheduledEvent = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && (event as Record<string, unknown>).source === 'aws.events';

/** The schedule's own event (every cluster), or one cluster by name (drills, tests, operators). */
export const convergeDnsInput = z.preprocess((event) => (isScheduledEvent(event) ? {} : event), z.strictObject({ cluster: nameSchema.optional() }));

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
