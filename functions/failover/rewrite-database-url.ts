import { clusterContext, nodeNamed } from '../../shared/failover/cluster-context';
import { rewriteDatabaseUrls } from '../../shared/failover/repoint';
import { executionInputSchema, timed, type DatabaseUrlResult, type FailoverState } from '../../shared/failover/state';
import { StateMissingError } from '../../shared/errors';
import { lambda } from '../../shared/lambda';

/** Rewrites DATABASE_URL in every configured application region to the promoted node. */
export const rewriteDatabaseUrl = (state: FailoverState): Promise<DatabaseUrlResult> =>
  timed(async () => {
    if (!state.promotion) throw new StateMissingError('rewriteDatabaseUrl needs the promotion result ($.promotion)');
    const { cluster } = clusterContext(state.cluster);
    return rewriteDatabaseUrls(cluster, nodeNamed(cluster, state.promotion.node));
  });

export const handler = lambda('rewriteDatabaseUrl', rewriteDatabaseUrl, { input: executionInputSchema });
