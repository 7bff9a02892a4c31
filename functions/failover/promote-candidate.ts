import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { promoteNode } from '../../shared/actions/promote';
import { executionInputSchema, type FailoverState, type PromotionResult } from '../../shared/workflow/state';
import { StateMissingError } from '../../shared/errors';
import { timed } from '../../shared/time';
import { holdLease } from '../../shared/workflow/lease-guard';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/** Promotes the chosen standby and proves it takes writes; an already promoted node is reported. */
export const promoteCandidate = (state: FailoverState): Promise<PromotionResult> =>
  timed(async () => {
    if (!state.candidate?.promote) throw new StateMissingError('promoteCandidate needs a candidate to promote ($.candidate)');
    const context = clusterContext(state.cluster);
    await holdLease(context.config, context.cluster, state.executionName, 'promoteCandidate');
    const result = await promoteNode(context, nodeNamed(context.cluster, state.candidate.node));
    log.info(result.alreadyPrimary ? 'candidate already primary' : 'candidate promoted', { cluster: state.cluster, node: result.node, promoteMs: result.promoteMs });
    return result;
  });

export const handler = lambda('promoteCandidate', promoteCandidate, { input: executionInputSchema });
