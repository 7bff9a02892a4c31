import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { repointRecord } from '../../shared/actions/repoint';
import { executionInputSchema, type DnsResult, type FailoverState } from '../../shared/workflow/state';
import { StateMissingError } from '../../shared/errors';
import { timed } from '../../shared/time';
import { holdLease } from '../../shared/workflow/lease-guard';
import { lambda } from '../../shared/lambda';

/** Points the cluster record at the promoted node and waits for INSYNC. */
export const repointDns = (state: FailoverState): Promise<DnsResult> =>
  timed(async () => {
    if (!state.promotion) throw new StateMissingError('repointDns needs the promotion result ($.promotion)');
    const { config, cluster } = clusterContext(state.cluster);
    await holdLease(config, cluster, state.executionName, 'repointDns');
    return repointRecord(cluster, nodeNamed(cluster, state.promotion.node));
  });

export const handler = lambda('repointDns', repointDns, { input: executionInputSchema });
