import { ssmClient } from '../../shared/aws/clients/ssm';
import { readParameterFresh, writeSecureString } from '../../shared/aws/ssm';
import { clusterContext, nodeNamed } from '../../shared/failover/cluster-context';
import { executionInputSchema, timed, type DatabaseUrlResult, type FailoverState } from '../../shared/failover/state';
import { databaseUrlTarget, repointDatabaseUrl } from '../../shared/database-url';
import { StateMissingError } from '../../shared/errors';
import { lambda } from '../../shared/lambda';

/**
 * Rewrites DATABASE_URL in every configured application region to the promoted node, keeping user,
 * password, database and parameters. A parameter that already points there is left alone, so the
 * step can run twice. Values are never logged or returned: only host and port are.
 */
export const rewriteDatabaseUrl = (state: FailoverState): Promise<DatabaseUrlResult> =>
  timed(async () => {
    if (!state.promotion) throw new StateMissingError('rewriteDatabaseUrl needs the promotion result ($.promotion)');
    const { cluster } = clusterContext(state.cluster);
    const node = nodeNamed(cluster, state.promotion.node);
    const parameters = [];
    for (const target of cluster.databaseUrlParameters) {
      const client = ssmClient(target.region);
      const current = await readParameterFresh(client, target.region, target.name);
      const next = repointDatabaseUrl(current, node.host, node.port);
      const changed = next !== current;
      if (changed) await writeSecureString(client, target.region, target.name, next);
      const { host, port } = databaseUrlTarget(next);
      parameters.push({ region: target.region, name: target.name, host, port, changed });
    }
    return { parameters };
  });

export const handler = lambda('rewriteDatabaseUrl', rewriteDatabaseUrl, { input: executionInputSchema });
