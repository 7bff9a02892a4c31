import { loadConfig } from '../config/load';
import type { ClusterConfig, FailoverConfig, NodeConfig } from '../config/schema';
import { InvalidInputError } from '../errors';

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
