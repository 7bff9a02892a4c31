import type { z } from 'zod';
import { clusterContext } from '../../shared/config/cluster-context';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { pauseCluster, type PauseResult } from '../../shared/operators/pause';
import { pauseRequestSchema } from '../../shared/operators/requests';

/** Pauses automatic failover of one cluster (operators' actions still run). */
export const pause = async (request: z.output<typeof pauseRequestSchema>): Promise<PauseResult> => {
  const result = await pauseCluster(clusterContext(request.cluster), request);
  log.info('pause', { cluster: request.cluster, summary: result.summary, changed: result.changed });
  return result;
};

export const handler = lambda('pause', pause, { input: pauseRequestSchema });
