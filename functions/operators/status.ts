import type { z } from 'zod';
import { clustersSelected } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import { lambda } from '../../shared/lambda';
import { statusRequestSchema } from '../../shared/operators/requests';
import { clusterStatus, type ClusterStatus } from '../../shared/operators/status';

/** Each cluster's nodes (role, recovery, lag, receiver and sender) and where DNS and DATABASE_URL point. */
export const status = async (request: z.output<typeof statusRequestSchema>): Promise<{ clusters: ClusterStatus[] }> => {
  const config = loadConfig();
  const clusters = clustersSelected(config, request.cluster);
  return { clusters: await Promise.all(clusters.map((cluster) => clusterStatus(config, cluster))) };
};

export const handler = lambda('status', status, { input: statusRequestSchema });
