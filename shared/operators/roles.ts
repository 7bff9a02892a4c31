import type { NodeConfig } from '../config/schema';
import type { ClusterContext } from '../config/cluster-context';
import { withFailoverConnection } from '../actions/failover-connection';

export interface NodeRoleView {
  node: string;
  reachable: boolean;
  reason?: string;
  inRecovery: boolean | null;
  readOnly: boolean | null;
}

/** Asks every node whether it is in recovery and read-only (never throws; unreachable is a fact). */
export const observeRoles = (context: ClusterContext): Promise<NodeRoleView[]> =>
  Promise.all(
    context.cluster.nodes.map(async (node: NodeConfig): Promise<NodeRoleView> => {
      try {
        const { rows } = await withFailoverConnection(context, node, (client) =>
          client.query<{ r: boolean; ro: boolean }>("SELECT pg_is_in_recovery() AS r, current_setting('default_transaction_read_only')::boolean AS ro"),
        );
        return { node: node.name, reachable: true, inRecovery: rows[0]?.r === true, readOnly: rows[0]?.ro === true };
      } catch (error) {
        return { node: node.name, reachable: false, reason: (error as Error).message, inRecovery: null, readOnly: null };
      }
    }),
  );

/** Nodes that take writes: reachable, out of recovery, not read-only. */
export const writersOf = (roles: NodeRoleView[]): string[] =>
  roles.filter((r) => r.reachable && r.inRecovery === false && r.readOnly === false).map((r) => r.node);
