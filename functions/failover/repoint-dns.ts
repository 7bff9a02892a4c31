import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { repointRecord } from '../../shared/actions/repoint';
import { leaseStore } from '../../shared/workflow/environment';
import { executionInputSchema, type DnsResult, type FailoverState } from '../../shared/workflow/state';
import { StateMissingError } from '../../shared/errors';
import { timed } from '../../shared/time';
import { holdLease } from '../../shared/workflow/lease-guard';
import { lambda } from '../../shared/lambda';

/**
 * Points the cluster record at the promoted node and waits for INSYNC (bounded). Runs beside the
 * DATABASE_URL rewrite, never before it: applications that follow SSM do not wait for DNS. The
 * write carries the lease's generation, so a retry of an older execution never overwrites a newer
 * writer's record.
 */
export const repointDns = (state: FailoverState): Promise<DnsResult> =>
  timed(async () => {
    const { config, cluster } = clusterContext(state.cluster);
    if (!state.promotion) throw new StateMissingError('repointDns needs the promotion result ($.promotion)');
    if (state.lease?.generation === undefined) throw new StateMissingError('repointDns needs the lease generation ($.lease.generation)');
    await holdLease(config, cluster, state.executionName, 'repointDns');
    const writer = { store: leaseStore(config), holder: state.executionName, generation: state.lease.generation };
    return repointRecord(cluster, nodeNamed(cluster, state.promotion.node), writer);
  });

export const handler = lambda('repointDns', repointDns, { input: executionInputSchema });
