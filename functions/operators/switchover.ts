import type { z } from 'zod';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { ssmCommandRunner, type CommandRunner } from '../../shared/aws/run-command';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { lambda, type InvocationContext } from '../../shared/lambda';
import { FUNCTION_TIMEOUT_SECONDS } from '../../shared/workflow/timeouts';
import { log } from '../../shared/log';
import { switchoverRequestSchema } from '../../shared/operators/requests';
import { switchover, type SwitchoverReceipt } from '../../shared/operators/switchover';

/**
 * Planned, zero-loss switchover to `to`; then the old primary is rejoined as a standby of `to` with
 * `runCommand` (SSM Run Command on its host), unless the request says `noRejoin`.
 */
export const makeSwitchover =
  (runCommand: CommandRunner) =>
  async (request: z.output<typeof switchoverRequestSchema>, invocation?: InvocationContext): Promise<SwitchoverReceipt> => {
    const context = clusterContext(request.cluster);
    nodeNamed(context.cluster, request.to, 'to');
    // The function's own deadline caps every wait in it (and triggers the write restore before it).
    const deadlineAt = Date.now() + (invocation?.getRemainingTimeInMillis() ?? FUNCTION_TIMEOUT_SECONDS.switchover * 1000);
    const receipt = await switchover(context, request, deadlineAt, runCommand);
    log.info('switchover receipt', { receipt });
    return receipt;
  };

export const handler = lambda('switchover', makeSwitchover(ssmCommandRunner(ssmClient)), { input: switchoverRequestSchema });
