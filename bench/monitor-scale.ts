import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { cloudWatchClient } from '../shared/aws/clients/cloudwatch';
import { ssmClient } from '../shared/aws/clients/ssm';
import { MetricPublisher } from '../shared/aws/metric-publisher';
import { readSecureString } from '../shared/aws/ssm';
import { configuredPrimary } from '../shared/config/cluster-context';
import type { ClusterConfig, FailoverConfig } from '../shared/config/schema';
import { runMonitor } from '../shared/monitor/run-monitor';
import { resetEmulator } from '../local/emulator';
import { startLocalStack } from '../local/local-stack';
import type { Topology } from '../local/topology';
import { progress } from './progress';
import { median, ratio, round, roundOrNull } from './stats';

export interface ScalePoint {
  clusters: number;
  samples: number;
  intervalMs: number;
  /** The first round opens every connection; later rounds reuse them. */
  firstRoundMs: number;
  /** Median of the later rounds: every cluster sampled once over open connections. */
  roundMs: number;
  roundMsPerCluster: number;
  connectionsOpened: number;
  dataPoints: number;
  putMetricDataCalls: number;
  callsPer1000DataPoints: number | null;
  /** Process CPU time per cluster per round (user + system). */
  cpuMsPerClusterRound: number;
  errors: number;
}

/** A publisher that notes when each cluster's round was handed over (the end of its sample). */
class RecordingPublisher extends MetricPublisher {
  readonly handed: Array<{ cluster: string; at: number }> = [];
  override add(datums: MetricDatum[]): void {
    const cluster = datums[0]?.Dimensions?.find((d) => d.Name === 'Cluster')?.Value ?? '';
    this.handed.push({ cluster, at: Date.now() });
    super.add(datums);
  }
}

/**
 * Round k's duration: from when the first cluster started it to when the last one finished it.
 * Each cluster starts round k at max(its round k-1 start + interval, its round k-1 end), as
 * runMonitor paces its loops. Pure.
 */
export const roundDurations = (handed: ReadonlyArray<{ cluster: string; at: number }>, startedAt: number, intervalMs: number): number[] => {
  const byCluster = new Map<string, number[]>();
  for (const h of handed) byCluster.set(h.cluster, [...(byCluster.get(h.cluster) ?? []), h.at]);
  const rounds = Math.min(...[...byCluster.values()].map((ends) => ends.length));
  const durations: number[] = [];
  const starts = new Map([...byCluster.keys()].map((c) => [c, startedAt]));
  for (let k = 0; k < rounds; k += 1) {
    const clusters = [...byCluster.keys()];
    const first = Math.min(...clusters.map((c) => starts.get(c)!));
    const last = Math.max(...clusters.map((c) => byCluster.get(c)![k]!));
    durations.push(last - first);
    for (const c of clusters) starts.set(c, Math.max(starts.get(c)! + intervalMs, byCluster.get(c)![k]!));
  }
  return durations;
};

/** The one local cluster listed `count` times under different names: same nodes, same credentials. */
export const replicatedConfig = (config: FailoverConfig, count: number): FailoverConfig => {
  const base = config.clusters[0]!;
  const clusters: ClusterConfig[] = Array.from({ length: count }, (_, i) => ({ ...base, name: i === 0 ? base.name : `${base.name}${i}` }));
  return { ...config, clusters };
};

/**
 * Fifty clusters over the same three nodes hold 150 monitor connections open, above the test
 * topology's max_connections of 50 (in production each cluster has its own nodes). Standbys first:
 * a hot standby refuses to run with fewer connections than its primary.
 */
const raiseMaxConnections = async (topology: Topology, primary: string, value: number): Promise<void> => {
  const standbys = Object.keys(topology.nodes).filter((n) => n !== primary);
  for (const node of [...standbys, primary]) {
    await topology.query(node, `ALTER SYSTEM SET max_connections = ${value}`);
    await topology.stop(node, 'fast');
    await topology.start(node);
  }
  await Promise.all(standbys.map((s) => topology.waitForStreaming(s)));
};

/** One invocation of runMonitor over the local cluster listed `count` times. */
const measurePoint = async (base: FailoverConfig, count: number, samples: number, intervalMs: number): Promise<ScalePoint> => {
  const config = replicatedConfig(base, count);
  const publisher = new RecordingPublisher(cloudWatchClient(config.controlRegion), config.namespace);
  const password = (credential: { passwordParameter: string }) =>
    readSecureString(ssmClient(config.controlRegion), config.controlRegion, credential.passwordParameter);
  const cpu = process.cpuUsage();
  const startedAt = Date.now();
  const summary = await runMonitor(config, { samples, intervalMs }, { publisher, password });
  const cpuUsed = process.cpuUsage(cpu);
  const rounds = roundDurations(publisher.handed, startedAt, intervalMs);
  const steady = rounds.length > 1 ? median(rounds.slice(1)) : NaN;
  return {
    clusters: count,
    samples,
    intervalMs,
    firstRoundMs: round(rounds[0] ?? NaN),
    roundMs: round(steady),
    roundMsPerCluster: round(steady / count, 2),
    connectionsOpened: summary.connectionsOpened,
    dataPoints: summary.dataPoints,
    putMetricDataCalls: summary.putMetricDataCalls,
    callsPer1000DataPoints: roundOrNull(ratio(summary.putMetricDataCalls * 1000, summary.dataPoints), 1),
    cpuMsPerClusterRound: round((cpuUsed.user + cpuUsed.system) / 1000 / (count * samples), 2),
    errors: summary.errors.length + summary.unreachable.length,
  };
};

/**
 * Section 4: one monitor invocation (the same runMonitor the Lambda runs) over 1, 10 and 50 clusters
 * that all point at the local topology: round time, connections, PutMetricData calls per 1,000 data
 * points and CPU per cluster, at the default concurrency bound.
 */
export const measureMonitorScale = async (scales: number[], samples: number, intervalMs: number): Promise<ScalePoint[]> => {
  await resetEmulator(process.env.AWS_ENDPOINT_URL!);
  const stack = await startLocalStack();
  const previous = { ...process.env };
  Object.assign(process.env, stack.env);
  try {
    const template = stack.cluster();
    const primary = configuredPrimary(template).name;
    await raiseMaxConnections(stack.topologies[template.name]!, primary, 3 * Math.max(...scales) + 50);
    const points: ScalePoint[] = [];
    for (const count of scales) {
      const point = await measurePoint(stack.config, count, samples, intervalMs);
      points.push(point);
      progress(`monitor scale: ${count} cluster(s): round ${point.roundMs} ms, ${point.connectionsOpened} connections, ${point.putMetricDataCalls} calls for ${point.dataPoints} data points`);
    }
    return points;
  } finally {
    for (const key of Object.keys(stack.env)) delete process.env[key];
    Object.assign(process.env, previous);
    await stack.teardown();
  }
};
