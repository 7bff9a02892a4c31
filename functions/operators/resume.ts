import type { z } from 'zod';
import { clusterContext } from '../../shared/config/cluster-context';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { resumeCluster, type PauseResult } from '../../shared/operators/pause';
import { resumeRequestSchema } from '../../shared/operators/requests';

/** Resumes automatic failover of one cluster. */
export const resume = async (request: z.output<typeof resumeRequestSchema>): Promise<PauseResult> => {
  const result = await resumeCluster(clusterContext(request.cluster), request);
  log.info('resume', { cluster: request.cluster, summary: result.summary, changed: result.changed });
  return result;
};

export const handler = lambda('resume', resume, { input: resumeRequestSchema });
