import type { z } from 'zod';
import { stepFunctionsStarter, type ExecutionStarter } from '../../shared/aws/step-functions';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { executionNameFor, type ExecutionInput } from '../../shared/workflow/state';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { manualFailoverRequestSchema } from '../../shared/operators/requests';

export type ManualFailoverRequest = z.output<typeof manualFailoverRequestSchema>;

/**
 * An operator-declared outage: starts the failover workflow in manual mode, which skips outage
 * confirmation but keeps the lag guard unless the request accepts data loss (the receipt says so).
 */
export const makeManualFailover =
  (start: ExecutionStarter) =>
  async (request: ManualFailoverRequest): Promise<{ started: boolean; executionName: string; executionArn?: string }> => {
    const { cluster } = clusterContext(request.cluster);
    if (request.to) nodeNamed(cluster, request.to, 'to');
    const at = new Date();
    const executionName = executionNameFor(cluster.name, 'manual', at.toISOString());
    const input: ExecutionInput = {
      cluster: cluster.name,
      executionName,
      mode: 'manual',
      acceptDataLoss: request.acceptDataLoss,
      ...(request.to ? { requestedNode: request.to } : {}),
      ...(request.acceptUnfencedBy ? { acceptUnfenced: { acceptedBy: request.acceptUnfencedBy } } : {}),
      incident: { alarmName: 'operator', at: at.toISOString(), reason: request.reason },
      policy: { recheckAfterSeconds: cluster.policy.recheckAfterSeconds },
    };
    const out = await start(executionName, input);
    log.info('manual failover requested', { cluster: cluster.name, executionName, acceptDataLoss: request.acceptDataLoss, acceptUnfencedBy: request.acceptUnfencedBy, to: request.to });
    return { started: out.started, executionName, ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
  };

export const handler = lambda('failover', makeManualFailover(stepFunctionsStarter), { input: manualFailoverRequestSchema });
