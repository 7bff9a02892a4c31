import { loadConfig } from '../config/load';
import type { ClusterConfig, FailoverConfig, NodeConfig } from '../config/schema';
import { InvalidInputError } from '../errors';

export interface ClusterContext {
  config: FailoverConfig;
  cluster: ClusterConfig;
  /** Every database session opened for this context is read-only (the dry-run plan). */
  readOnly?: boolean;
}

/** The configuration of one cluster. @throws InvalidInputError for an unknown cluster name. */
export const clusterContext = (name: string): ClusterContext => {
  const config = loadConfig();
  const cluster = config.clusters.find((c) => c.name === name);
  if (!cluster) throw new InvalidInputError(`cluster: unknown cluster "${name}" (configured: ${config.clusters.map((c) => c.name).join(', ')})`);
  return { config, cluster };
};

/** @param field names the request field in the error (default "node"). */
export const nodeNamed = (cluster: ClusterConfig, name: string, field = 'node'): NodeConfig => {
  const node = cluster.nodes.find((n) => n.name === name);
  if (!node) {
    throw new InvalidInputError(`${field}: cluster ${cluster.name} has no node "${name}" (nodes: ${cluster.nodes.map((n) => n.name).join(', ')})`);
  }
  return node;
};
