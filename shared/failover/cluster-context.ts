import type { Client } from 'pg';
import { route53Client, ssmClient } from '../aws/clients';
import { readCname } from '../aws/route53';
import { readSecureString } from '../aws/ssm';
import { loadConfig } from '../config/load';
import type { ClusterConfig, FailoverConfig, NodeConfig } from '../config/schema';
import { InvalidInputError } from '../errors';
import { log } from '../log';
import { openConnection } from '../postgres/connect';

export interface ClusterContext {
  config: FailoverConfig;
  cluster: ClusterConfig;
}

/** The configuration of one cluster. @throws InvalidInputError for an unknown cluster name. */
export const clusterContext = (name: string): ClusterContext => {
  const config = loadConfig();
  const cluster = config.clusters.find((c) => c.name === name);
  if (!cluster) throw new InvalidInputError(`cluster: unknown cluster "${name}" (configured: ${config.clusters.map((c) => c.name).join(', ')})`);
  return { config, cluster };
};

export const nodeNamed = (cluster: ClusterConfig, name: string): NodeConfig => {
  const node = cluster.nodes.find((n) => n.name === name);
  if (!node) throw new InvalidInputError(`node: cluster ${cluster.name} has no node "${name}"`);
  return node;
};

/**
 * Opens a connection as the failover login (pg_promote rights, pg_monitor), with the monitor's
 * timeouts unless others are given.
 */
export const failoverConnection = async (
  { config, cluster }: ClusterContext,
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
  });
};

/**
 * The node the published record points at: the writer as clients know it. Falls back to the
 * configuration's primary when Route 53 does not answer or points elsewhere.
 */
export const publishedWriter = async ({ cluster }: ClusterContext): Promise<NodeConfig> => {
  const configured = cluster.nodes.find((n) => n.role === 'primary')!;
  try {
    const target = await readCname(route53Client(), cluster.route53.hostedZoneId, cluster.route53.recordName);
    const strip = (name: string) => name.replace(/\.$/, '').toLowerCase();
    return cluster.nodes.find((n) => target !== null && strip(n.dnsName) === strip(target)) ?? configured;
  } catch (error) {
    log.warn('cannot read the published record; assuming the configured primary', { cluster: cluster.name, error });
    return configured;
  }
};
