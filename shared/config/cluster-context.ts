import { loadConfig } from './load';
import type { ClusterConfig, FailoverConfig, NodeConfig } from './schema';
import { InvalidInputError } from '../errors';

export interface ClusterContext {
  config: FailoverConfig;
  cluster: ClusterConfig;
  /** Every database session opened for this context is read-only (the dry-run plan). */
  readOnly?: boolean;
}

const names = (items: Array<{ name: string }>): string => items.map((item) => item.name).join(', ');

/**
 * The cluster called `name`. @param field names the request field in the error (default "cluster").
 * @throws InvalidInputError `cluster: unknown cluster "x" (configured: a, b)`.
 */
export const clusterNamed = (config: FailoverConfig, name: string, field = 'cluster'): ClusterConfig => {
  const cluster = config.clusters.find((c) => c.name === name);
  if (!cluster) throw new InvalidInputError(`${field}: unknown cluster "${name}" (configured: ${names(config.clusters)})`);
  return cluster;
};

/** The cluster named, or every cluster when no name is given. @throws InvalidInputError as {@link clusterNamed}. */
export const clustersSelected = (config: FailoverConfig, name: string | undefined, field = 'cluster'): ClusterConfig[] =>
  name === undefined ? config.clusters : [clusterNamed(config, name, field)];

/** The configuration of one cluster. @throws InvalidInputError for an unknown cluster name. */
export const clusterContext = (name: string): ClusterContext => {
  const config = loadConfig();
  return { config, cluster: clusterNamed(config, name) };
};

/** @param field names the request field in the error (default "node"). */
export const nodeNamed = (cluster: ClusterConfig, name: string, field = 'node'): NodeConfig => {
  const node = cluster.nodes.find((n) => n.name === name);
  if (!node) throw new InvalidInputError(`${field}: cluster ${cluster.name} has no node "${name}" (nodes: ${names(cluster.nodes)})`);
  return node;
};

/**
 * The node the configuration names `primary` (the rules make it exactly one). It seeds the
 * cluster's writer; it is not proof of who writes now.
 */
export const configuredPrimary = (cluster: ClusterConfig): NodeConfig => {
  const primary = cluster.nodes.find((n) => n.role === 'primary');
  if (!primary) throw new InvalidInputError(`clusters: cluster ${cluster.name} has no node with role primary`);
  return primary;
};

/**
 * Where clients reach `node`: the host and port written into DATABASE_URL. The client-facing name
 * (clientHost, for example the name in the node's certificate) when configured, else the address
 * the control plane itself connects to.
 */
export const clientEndpoint = (node: NodeConfig): { host: string; port: number } => ({
  host: node.clientHost ?? node.host,
  port: node.clientPort ?? node.port,
});
