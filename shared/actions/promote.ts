import type { NodeConfig } from '../config/schema';
import { PromotionFailedError } from '../errors';
import { isInRecovery, promote, writeHeartbeat } from '../postgres/failover-sql';
import type { ClusterContext } from '../config/cluster-context';
import { readTopology } from '../postgres/topology-sql';
import { withFailoverConnection } from './failover-connection';

/**
 * Promotes `node` with pg_promote as the non-superuser failover login, then proves it: out of
 * recovery and a write committed. A node that is already primary is reported, not promoted again.
 * Its position and the timeline it now writes on are read over the same session, after the write.
 */
export const promoteNode = async (context: ClusterContext, node: NodeConfig) => {
  const timeoutSeconds = context.cluster.policy.promoteTimeoutSeconds;
  return withFailoverConnection(context, node, async (client) => {
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
    const seen = await readTopology(client);
    return { node: node.name, alreadyPrimary, lsn: seen.currentLsn, promoteMs, timeline: seen.timeline };
  }, { queryTimeoutMs: (timeoutSeconds + 5) * 1000 });
};
