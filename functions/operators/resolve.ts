import type { z } from 'zod';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { resolveWriter, type ResolveResult } from '../../shared/operators/resolve';
import { resolveRequestSchema } from '../../shared/operators/requests';

/** Records the node observed accepting writes as the cluster's writer (ends a contradiction). */
export const resolve = async (request: z.output<typeof resolveRequestSchema>): Promise<ResolveResult> => {
  const context = clusterContext(request.cluster);
  nodeNamed(context.cluster, request.writer, 'writer');
  const result = await resolveWriter(context, { node: request.writer, by: request.by, reason: request.reason });
  log.info('resolve', { cluster: request.cluster, outcome: result.outcome, writer: result.writer, generation: result.generation, reasons: result.reasons });
  return result;
};

export const handler = lambda('resolve', resolve, { input: resolveRequestSchema });
