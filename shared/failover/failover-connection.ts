import type { Client } from 'pg';
import { ssmClient } from '../aws/clients/ssm';
import { readSecureString } from '../aws/ssm';
import type { NodeConfig } from '../config/schema';
import { openConnection } from '../postgres/connect';
import type { ClusterContext } from './cluster-context';

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
  return openConnection({
    host: node.host,
    port: node.port,
    database: cluster.database,
    user: failover.user,
    password: await readSecureString(ssmClient(config.controlRegion), config.controlRegion, failover.passwordParameter),
    applicationName: 'pgfo-failover',
    connectTimeoutMs: timeouts.connectTimeoutMs ?? cluster.monitor.connectTimeoutMs,
    queryTimeoutMs: timeouts.queryTimeoutMs ?? cluster.monitor.queryTimeoutMs,
    ...(readOnly ? { readOnly: true } : {}),
  });
};
