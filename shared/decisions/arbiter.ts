import type { ClusterConfig, FailoverConfig } from '../config/schema';

/**
 * Which control-plane stacks arbitrate a cluster now: every control region outside the recorded
 * writer's region. The stack in the writer's region would fail with it, so it stays passive (it
 * monitors and reports, an operator may still act through it); two arbiters never run one failover
 * at once because each must take the cluster's failover lease in the shared store first. With a
 * single control region (a one-region control plane) that stack is the only one and always
 * arbitrates: the load rules keep it outside every node's region unless allowControlRegionWithPrimary.
 * Pure.
 */
export interface ArbiterView {
  /** The recorded writer and its region. */
  writer: string;
  writerRegion: string;
  /** Where the writer was read from: the cluster record, or the configuration when no record exists yet. */
  writerFrom: 'record' | 'configuration';
  /** Control regions whose stack may act for the cluster now (config order). */
  arbiters: string[];
  /** Control regions whose stack stays passive (the writer's). */
  passive: string[];
  /** The region the view was taken for, and whether its stack acts. */
  stackRegion: string;
  acts: boolean;
  /** One line a person reads: who arbitrates and why this stack does or does not. */
  reason: string;
}

export const arbiterView = (
  config: Pick<FailoverConfig, 'controlRegions'>,
  cluster: Pick<ClusterConfig, 'name' | 'nodes'>,
  writer: { node: string; from: ArbiterView['writerFrom'] },
  stackRegion: string,
): ArbiterView => {
  const node = cluster.nodes.find((n) => n.name === writer.node);
  if (!node) throw new Error(`${cluster.name}: the recorded writer ${writer.node} is not a configured node`);
  const outside = config.controlRegions.filter((region) => region !== node.region);
  // One control region that shares the writer's region (allowed only for a test account): it is the only arbiter there is.
  const arbiters = outside.length > 0 ? outside : [...config.controlRegions];
  const passive = config.controlRegions.filter((region) => !arbiters.includes(region));
  const acts = arbiters.includes(stackRegion);
  const who = `${writer.from === 'record' ? 'recorded' : 'configured'} writer ${node.name} is in ${node.region}`;
  const reason = acts
    ? `${cluster.name}: the stack in ${stackRegion} arbitrates (${who}${arbiters.length > 1 ? `; so do ${arbiters.filter((r) => r !== stackRegion).join(', ')}, the failover lease picks one per incident` : ''})`
    : config.controlRegions.includes(stackRegion)
      ? `${cluster.name}: the stack in ${stackRegion} is passive (${who}, the same region): ${arbiters.join(', ')} arbitrate${arbiters.length === 1 ? 's' : ''}`
      : `${cluster.name}: ${stackRegion} is not a control region (${config.controlRegions.join(', ')}): it does not act`;
  return { writer: node.name, writerRegion: node.region, writerFrom: writer.from, arbiters, passive, stackRegion, acts, reason };
};

/**
 * The load rule: every region a writer can be in (every node's region: a standby may be promoted)
 * must leave a control region outside it. Returns the regions that do not, with the nodes in them.
 */
export const regionsWithoutArbiter = (config: Pick<FailoverConfig, 'controlRegions' | 'clusters'>): Array<{ region: string; nodes: string[] }> => {
  const byRegion = new Map<string, string[]>();
  for (const cluster of config.clusters) {
    for (const node of cluster.nodes) byRegion.set(node.region, [...(byRegion.get(node.region) ?? []), `${cluster.name}/${node.name}`]);
  }
  return [...byRegion.entries()]
    .filter(([region]) => !config.controlRegions.some((control) => control !== region))
    .map(([region, nodes]) => ({ region, nodes }));
};
