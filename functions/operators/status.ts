import type { z } from 'zod';
import { clustersSelected } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import { lambda } from '../../shared/lambda';
import { statusRequestSchema } from '../../shared/operators/requests';
import { clusterStatus, type StatusResult } from '../../shared/operators/status';
import { PGFO_VERSION } from '../../shared/version';

/**
 * Each cluster's nodes (role, recovery, lag, receiver and sender) and where DNS and DATABASE_URL
 * point, with the release this function was packaged from (the deployment's).
 */
export const status = async (request: z.output<typeof statusRequestSchema>): Promise<StatusResult> => {
  const config = loadConfig();
  const clusters = clustersSelected(config, request.cluster);
  return { version: PGFO_VERSION, clusters: await Promise.all(clusters.map((cluster) => clusterStatus(config, cluster))) };
};

export const handler = lambda('status', status, { input: statusRequestSchema });
