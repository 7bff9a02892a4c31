import { route53Client } from '../aws/clients/route53';
import { readCname } from '../aws/route53';
import type { NodeConfig } from '../config/schema';
import { log } from '../log';
import type { ClusterContext } from './cluster-context';

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
