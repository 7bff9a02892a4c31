import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { rewriteDatabaseUrls } from '../../shared/actions/repoint';
import { executionInputSchema, type DatabaseUrlResult, type FailoverState } from '../../shared/workflow/state';
import { StateMissingError } from '../../shared/errors';
import { timed } from '../../shared/time';
import { holdLease } from '../../shared/workflow/lease-guard';
import { lambda } from '../../shared/lambda';

/** Rewrites DATABASE_URL in every configured application region to the promoted node. */
export const rewriteDatabaseUrl = (state: FailoverState): Promise<DatabaseUrlResult> =>
  timed(async () => {
    if (!state.promotion) throw new StateMissingError('rewriteDatabaseUrl needs the promotion result ($.promotion)');
    const { config, cluster } = clusterContext(state.cluster);
    // The lease is asserted while the current values are read; nothing is written unless it is held.
    return rewriteDatabaseUrls(cluster, nodeNamed(cluster, state.promotion.node), {
      beforeWrite: holdLease(config, cluster, state.executionName, 'rewriteDatabaseUrl'),
    });
  });

export const handler = lambda('rewriteDatabaseUrl', rewriteDatabaseUrl, { input: executionInputSchema });
