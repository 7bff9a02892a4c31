import { convergeFences, type PendingFencesResult } from '../../shared/actions/pending-fences';
import { clustersSelected } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import { scheduledClusterInput } from '../../shared/scheduled';
import { lambda } from '../../shared/lambda';

export const convergeFencesInput = scheduledClusterInput;

/**
 * Scheduled: completes the fences failovers could not confirm because the old writer's region did
 * not answer — when it answers again, what still runs is tagged fenced and stopped, and stopped
 * instances are recorded as fenced for sure. It outlives the execution that fenced.
 */
export const convergeFencesOf = async (input: { cluster?: string }): Promise<{ clusters: PendingFencesResult[] }> => {
  const config = loadConfig();
  return { clusters: await Promise.all(clustersSelected(config, input.cluster).map((cluster) => convergeFences({ config, cluster }))) };
};

export const handler = lambda('convergeFences', convergeFencesOf, { input: convergeFencesInput });
