import { repointFollowers, type FollowersResult } from '../../shared/actions/repoint-followers';
import { observeNodes, readRecord } from '../../shared/actions/topology';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { executionInputSchema, type FailoverState } from '../../shared/workflow/state';
import { StateMissingError } from '../../shared/errors';
import { timed, type StepTiming } from '../../shared/time';
import { holdLease, readWhileHolding } from '../../shared/workflow/lease-guard';
import { lambda } from '../../shared/lambda';

/**
 * Makes every surviving standby follow the new writer and sets its synchronous standbys: the failed
 * writer and fenced nodes are left alone, a standby that cannot follow is reported. Changes the
 * world, so it first asserts and extends the lease.
 */
export const repointFollowersStep = (state: FailoverState): Promise<FollowersResult & StepTiming> =>
  timed(async () => {
    if (!state.promotion) throw new StateMissingError('repointFollowers needs the promotion result ($.promotion)');
    const context = clusterContext(state.cluster);
    // The lease is asserted while the record and the nodes are read (reads change nothing); no
    // standby is touched unless it is held. The followers are then recorded on this record (re-read
    // if it changed).
    const [record, observed] = await readWhileHolding(
      holdLease(context.config, context.cluster, state.executionName, 'repointFollowers'),
      readRecord(context),
      observeNodes(context, { reuseSessions: true }),
    );
    const excluded = new Map(Object.entries(record.fenced).map(([node, fence]) => [node, `fenced (${fence.reason})`]));
    if (state.candidate?.previousPrimary) excluded.set(state.candidate.previousPrimary, 'the failed writer');
    return repointFollowers(context, nodeNamed(context.cluster, state.promotion.node), {
      excluded,
      forkLsn: state.promotion.lsn,
      by: state.executionName,
      observed,
      record,
    });
  });

export const handler = lambda('repointFollowers', repointFollowersStep, { input: executionInputSchema });
