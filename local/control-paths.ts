import { writeFileSync } from 'node:fs';
import { CONFIG_FILE_ENV } from '../shared/config/load';
import type { NodeConfig } from '../shared/config/schema';
import { LinkProxy } from './link-proxy';
import type { LocalStack } from './local-stack';

/** The control plane's paths cut by `cutControlPaths`, and how to bring them back. */
export interface ControlPathCut {
  links: LinkProxy[];
  restore(): Promise<void>;
}

/**
 * Cuts the control plane's own paths (monitor and failover functions) to `nodes` of `cluster`: they
 * reach them through link proxies that reset (or black-hole) every connection, written into a
 * configuration file of their own that PGFO_CONFIG_FILE names until `restore`. Applications,
 * replication and the witness (which reads the stack's own file) keep their direct paths.
 */
export const cutControlPaths = async (stack: LocalStack, cluster: string, nodes: NodeConfig[], mode: 'reset' | 'blackhole' = 'reset'): Promise<ControlPathCut> => {
  const config = structuredClone(stack.config);
  const configured = config.clusters.find((c) => c.name === cluster)!;
  const links: LinkProxy[] = [];
  for (const node of nodes) {
    const link = await LinkProxy.start({ host: node.host, port: node.port });
    link.cut(mode);
    links.push(link);
    configured.nodes.find((n) => n.name === node.name)!.port = link.port;
  }
  const file = `${stack.configFile}.cut-${links.map((l) => l.port).join('-')}.json`;
  writeFileSync(file, JSON.stringify(config));
  const previous = process.env[CONFIG_FILE_ENV];
  process.env[CONFIG_FILE_ENV] = file;
  let restored = false;
  return {
    links,
    restore: async () => {
      if (restored) return;
      restored = true;
      if (previous === undefined) delete process.env[CONFIG_FILE_ENV];
      else process.env[CONFIG_FILE_ENV] = previous;
      await Promise.all(links.map((l) => l.close()));
    },
  };
};
