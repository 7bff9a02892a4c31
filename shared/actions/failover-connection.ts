import type { Client } from 'pg';
import { ssmClient } from '../aws/clients/ssm';
import { readSecureString } from '../aws/ssm';
import type { NodeConfig } from '../config/schema';
import { closeQuietly, openConnection } from '../postgres/connect';
import { sslOptions } from '../postgres/tls';
import type { ClusterContext } from '../config/cluster-context';

/**
 * Opens a connection as the failover login (pg_promote rights, pg_monitor), with the monitor's
 * timeouts unless others are given.
 */
export const failoverConnection = async (
  { config, cluster, readOnly }: ClusterContext,
  node: NodeConfig,
  timeouts: { connectTimeoutMs?: number; queryTimeoutMs?: number } = {},
): Promise<Client> => {
  const { failover } = cluster.credentials;
  const ssm = ssmClient(config.controlRegion);
  return openConnection({
    host: node.host,
    port: node.port,
    database: cluster.database,
    user: failover.user,
    password: await readSecureString(ssm, config.controlRegion, failover.passwordParameter),
    ssl: await sslOptions(node.tls ?? cluster.tls, (name) => readSecureString(ssm, config.controlRegion, name)),
    applicationName: 'pgfo-failover',
    connectTimeoutMs: timeouts.connectTimeoutMs ?? cluster.monitor.connectTimeoutMs,
    queryTimeoutMs: timeouts.queryTimeoutMs ?? cluster.monitor.queryTimeoutMs,
    ...(readOnly ? { readOnly: true } : {}),
  });
};

/** Opens a failover-login session, runs `use` with it and always ends it (the one open/use/close). */
export const withFailoverConnection = async <T>(
  context: ClusterContext,
  node: NodeConfig,
  use: (client: Client) => Promise<T>,
  timeouts: { connectTimeoutMs?: number; queryTimeoutMs?: number } = {},
): Promise<T> => {
  const client = await failoverConnection(context, node, timeouts);
  try {
    return await use(client);
  } finally {
    await closeQuietly(client);
  }
};
