import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { promoteNode } from '../../shared/actions/promote';
import { openIncident, recordStillAt, storePromotion } from '../../shared/actions/record-promotion';
import { observeNodes } from '../../shared/actions/topology';
import { catchUpFromFollowers } from '../../shared/actions/catch-up';
import { executionInputSchema, type FailoverState, type PromotionResult } from '../../shared/workflow/state';
import { StateMissingError } from '../../shared/errors';
import { timed } from '../../shared/time';
import { holdLease, readWhileHolding } from '../../shared/workflow/lease-guard';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Promotes the chosen standby and proves it takes writes; an already promoted node is reported.
 * The cluster record must still be at the generation the candidate was chosen from (else nothing is
 * promoted), and afterwards names the new writer, its timeline and the fenced old writer.
 */
export const promoteCandidate = (state: FailoverState): Promise<PromotionResult> =>
  timed(async () => {
    if (!state.candidate?.promote) throw new StateMissingError('promoteCandidate needs a candidate to promote ($.candidate)');
    const context = clusterContext(state.cluster);
    const node = nodeNamed(context.cluster, state.candidate.node);
    // The lease is asserted while the record is checked and the nodes observed (reads change
    // nothing); nothing changes before all three have answered.
    const [checked, observed] = await readWhileHolding(
      holdLease(context.config, context.cluster, state.executionName, 'promoteCandidate'),
      recordStillAt(context, state.candidate.generation, node.name, state.executionName),
      observeNodes(context, { reuseSessions: true }),
    );
    const record = await openIncident(context, checked, { execution: state.executionName, from: state.candidate.previousPrimary, to: node.name });
    const excluded = new Set([state.candidate.previousPrimary, ...Object.keys(record.fenced)]);
    const catchUp = await catchUpFromFollowers(context, node, excluded, observed);
    // The catch-up may have taken a while: the lease is asserted again right before the promotion.
    await holdLease(context.config, context.cluster, state.executionName, 'promoteCandidate');
    const result = await promoteNode(context, node);
    const { timeline } = result;
    const stored = await storePromotion(context, record, {
      writer: node.name,
      timeline,
      previousWriter: state.candidate.previousPrimary,
      fence: state.fence ? { confirmed: state.fence.fenced, reason: state.fence.reason } : { confirmed: false, reason: 'not fenced (no fencing step ran)' },
      execution: state.executionName,
      kind: 'failover',
    });
    log.info(result.alreadyPrimary ? 'candidate already primary' : 'candidate promoted', { cluster: state.cluster, node: result.node, promoteMs: result.promoteMs, timeline, generation: stored.generation });
    return { ...result, timeline, generation: stored.generation, catchUp };
  });

export const handler = lambda('promoteCandidate', promoteCandidate, { input: executionInputSchema });
