import type { z } from 'zod';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { ssmCommandRunner, type CommandRunner } from '../../shared/aws/run-command';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { rejoinNode, type RejoinReceipt } from '../../shared/operators/rejoin';
import { rejoinRequestSchema } from '../../shared/operators/requests';

/** Brings a fenced or diverged node back as a standby of the current writer (SSM Run Command on its host). */
export const makeRejoin =
  (runCommand: CommandRunner) =>
  async (request: z.output<typeof rejoinRequestSchema>): Promise<RejoinReceipt> => {
    const context = clusterContext(request.cluster);
    nodeNamed(context.cluster, request.node, 'node');
    const receipt = await rejoinNode(context, request, runCommand);
    log.info('rejoin receipt', { receipt });
    return receipt;
  };

export const handler = lambda('rejoin', makeRejoin(ssmCommandRunner(ssmClient)), { input: rejoinRequestSchema });
