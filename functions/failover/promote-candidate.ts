import { clusterContext, nodeNamed } from '../../shared/failover/cluster-context';
import { promoteNode } from '../../shared/failover/promote';
import { executionInputSchema, timed, type FailoverState, type PromotionResult } from '../../shared/failover/state';
import { StateMissingError } from '../../shared/errors';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/** Promotes the chosen standby and proves it takes writes; an already promoted node is reported. */
export const promoteCandidate = (state: FailoverState): Promise<PromotionResult> =>
  timed(async () => {
    if (!state.candidate?.promote) throw new StateMissingError('promoteCandidate needs a candidate to promote ($.candidate)');
    const context = clusterContext(state.cluster);
    const result = await promoteNode(context, nodeNamed(context.cluster, state.candidate.node));
    log.info(result.alreadyPrimary ? 'candidate already primary' : 'candidate promoted', { cluster: state.cluster, node: result.node, promoteMs: result.promoteMs });
    return result;
  });

export const handler = lambda('promoteCandidate', promoteCandidate, { input: executionInputSchema });
