import type { z } from 'zod';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { switchoverRequestSchema } from '../../shared/operators/requests';
import { switchover, type SwitchoverReceipt } from '../../shared/operators/switchover';

/** Planned, zero-loss switchover to `to`. */
export const runSwitchover = async (request: z.output<typeof switchoverRequestSchema>): Promise<SwitchoverReceipt> => {
  const context = clusterContext(request.cluster);
  nodeNamed(context.cluster, request.to, 'to');
  const receipt = await switchover(context, request);
  log.info('switchover receipt', { receipt });
  return receipt;
};

export const handler = lambda('switchover', runSwitchover, { input: switchoverRequestSchema });
