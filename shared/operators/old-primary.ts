import type { CommandRunner } from '../aws/run-command';
import type { ClusterContext } from '../config/cluster-context';
import { afterRejoin, leftAside, type OldPrimaryReport } from '../decisions/old-primary';
import { log } from '../log';
import { rejoinNode } from './rejoin';

/**
 * After a switchover, brings the old primary back as a standby of the new writer with the rejoin
 * (`pgfo rejoin`'s path: its lease, its decision, the document on the node's host), or leaves it
 * aside when asked. Never throws: the switchover has moved the writer already, and its receipt says
 * what happened to the old primary.
 */
export const bringBackOldPrimary = async (
  context: ClusterContext,
  node: string,
  options: { noRejoin: boolean; runCommand: CommandRunner; deadlineAt: number },
): Promise<OldPrimaryReport> => {
  const cluster = context.cluster.name;
  if (options.noRejoin) return leftAside(cluster, node);
  try {
    const rejoin = await rejoinNode(context, { cluster, node, dryRun: false, mode: 'auto' }, options.runCommand, { deadlineAt: options.deadlineAt });
    return afterRejoin(cluster, node, rejoin);
  } catch (error) {
    log.error('rejoin of the old primary failed', { cluster, node, error });
    return { node, outcome: 'rejoin-failed', reason: `the rejoin of ${node} failed: ${(error as Error).message}`, method: null, commandId: null };
  }
};
