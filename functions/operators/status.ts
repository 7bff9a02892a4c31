import type { z } from 'zod';
import { loadConfig } from '../../shared/config/load';
import { InvalidInputError } from '../../shared/errors';
import { lambda } from '../../shared/lambda';
import { statusRequestSchema } from '../../shared/operators/requests';
import { clusterStatus, type ClusterStatus } from '../../shared/operators/status';

/** Each cluster's nodes (role, recovery, lag, receiver and sender) and where DNS and DATABASE_URL point. */
export const status = async (request: z.output<typeof statusRequestSchema>): Promise<{ clusters: ClusterStatus[] }> => {
  const config = loadConfig();
  const clusters = request.cluster ? config.clusters.filter((c) => c.name === request.cluster) : config.clusters;
  if (clusters.length === 0) throw new InvalidInputError(`cluster: unknown cluster "${request.cluster}"`);
  return { clusters: await Promise.all(clusters.map((cluster) => clusterStatus(config, cluster))) };
};

export const handler = lambda('status', status, { input: statusRequestSchema });
