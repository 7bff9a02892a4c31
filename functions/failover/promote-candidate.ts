import { clusterContext, nodeNamed } from '../../shared/failover/cluster-context';
import { failoverConnection } from '../../shared/failover/failover-connection';
import { executionInputSchema, timed, type FailoverState, type PromotionResult } from '../../shared/failover/state';
import { PromotionFailedError, StateMissingError } from '../../shared/errors';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { closeQuietly } from '../../shared/postgres/connect';
import { currentPosition, isInRecovery, promote, writeHeartbeat } from '../../shared/postgres/failover-sql';

/**
 * Promotes the chosen standby with pg_promote as the non-superuser failover login, then proves it:
 * out of recovery and a write committed. A node that is already primary is reported, not promoted
 * again.
 */
export const promoteCandidate = (state: FailoverState): Promise<PromotionResult> =>
  timed(async () => {
    if (!state.candidate?.promote) throw new StateMissingError('promoteCandidate needs a candidate to promote ($.candidate)');
    const context = clusterContext(state.cluster);
    const node = nodeNamed(context.cluster, state.candidate.node);
    const timeoutSeconds = context.cluster.policy.promoteTimeoutSeconds;
    const client = await failoverConnection(context, node, { queryTimeoutMs: (timeoutSeconds + 5) * 1000 });
    try {
      const started = Date.now();
      const alreadyPrimary = !(await isInRecovery(client));
      if (!alreadyPrimary && !(await promote(client, timeoutSeconds))) {
        throw new PromotionFailedError(`${node.name}: pg_promote did not complete within ${timeoutSeconds} s`);
      }
      if (await isInRecovery(client)) throw new PromotionFailedError(`${node.name} is still in recovery after pg_promote`);
      try {
        await writeHeartbeat(client);
      } catch (error) {
        throw new PromotionFailedError(`${node.name} is out of recovery but a write failed: ${(error as Error).message}`, { cause: error });
      }
      const promoteMs = Date.now() - started;
      log.info(alreadyPrimary ? 'candidate already primary' : 'candidate promoted', { cluster: state.cluster, node: node.name, promoteMs });
      return { node: node.name, alreadyPrimary, lsn: await currentPosition(client), promoteMs };
    } finally {
      await closeQuietly(client);
    }
  });

export const handler = lambda('promoteCandidate', promoteCandidate, { input: executionInputSchema });
