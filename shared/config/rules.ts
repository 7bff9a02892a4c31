import type { ClusterConfig, FailoverConfig } from './schema';

const duplicates = (values: string[]): string[] =>
  [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];

const clusterProblems = (cluster: ClusterConfig, at: string): string[] => {
  const problems: string[] = [];
  const primaries = cluster.nodes.filter((node) => node.role === 'primary');
  if (primaries.length !== 1) {
    problems.push(`${at}.nodes: expected exactly one node with role "primary" (got ${primaries.length})`);
  }
  const names = [...cluster.nodes.map((node) => node.name), ...cluster.subscribers.map((sub) => sub.name)];
  for (const dup of duplicates(names)) problems.push(`${at}.nodes: node name "${dup}" is used more than once`);
  for (const dup of duplicates(cluster.nodes.map((node) => node.instanceId))) {
    problems.push(`${at}.nodes: instanceId "${dup}" is used more than once`);
  }
  for (const dup of duplicates(cluster.databaseUrlParameters.map((p) => `${p.region} ${p.name}`))) {
    problems.push(`${at}.databaseUrlParameters: "${dup}" is listed more than once`);
  }
  if (cluster.alarms.datapointsToAlarm > cluster.alarms.evaluationPeriods) {
    problems.push(
      `${at}.alarms.datapointsToAlarm: must not exceed evaluationPeriods (${cluster.alarms.datapointsToAlarm} > ${cluster.alarms.evaluationPeriods})`,
    );
  }
  const { sampleIntervalSeconds, samplesPerInvocation } = cluster.monitor;
  if (sampleIntervalSeconds * (samplesPerInvocation - 1) > 50) {
    problems.push(
      `${at}.monitor: samplesPerInvocation × sampleIntervalSeconds must fit in one minute's invocation (at most 50 s between first and last sample)`,
    );
  }
  return problems;
};

/** Rules a schema cannot express: one primary, unique names, alarm arithmetic. Returns messages with paths. */
export const semanticProblems = (config: FailoverConfig): string[] => {
  const problems = config.clusters.flatMap((cluster, index) => clusterProblems(cluster, `clusters[${index}]`));
  for (const dup of duplicates(config.clusters.map((cluster) => cluster.name))) {
    problems.push(`clusters: cluster name "${dup}" is used more than once`);
  }
  return problems;
};
