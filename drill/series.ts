import { cloudWatchClient } from '../shared/aws/clients/cloudwatch';
import type { ClusterConfig, FailoverConfig } from '../shared/config/schema';
import type { MetricName } from '../shared/monitor/metric-names';
import type { DrillReport, SeriesPoint } from './drill-report';
import { readAlarmDatapoints } from '../local/alarm-evaluator';

/**
 * The metrics the monitor published during the drill, read back from (emulated) CloudWatch for the
 * report's graphs: the failover alarm's metric and each standby's flush lag.
 */
export const readDrillSeries = async (config: FailoverConfig, cluster: ClusterConfig, startedAt: number): Promise<DrillReport['series']> => {
  const client = cloudWatchClient(config.controlRegion);
  const read = async (metricName: MetricName, node?: string): Promise<SeriesPoint[]> => {
    const dimensions = [{ Name: 'Cluster', Value: cluster.name }, ...(node ? [{ Name: 'Node', Value: node }] : [])];
    const points = await readAlarmDatapoints(
      client,
      { namespace: config.namespace, metricName, dimensions, statistic: 'Maximum' },
      new Date(startedAt - 1000),
      new Date(Date.now() + 1000),
    );
    return points.map((p) => ({ t: p.at - startedAt, v: p.value }));
  };
  const standbys = cluster.nodes.filter((n) => n.role !== 'primary');
  return {
    primaryReachable: await read('PrimaryReachable'),
    lag: await Promise.all(
      standbys.map(async (n) => ({ node: n.name, seconds: await read('FlushLagSeconds', n.name), bytes: await read('FlushLagBytes', n.name) })),
    ),
    rpoSeconds: cluster.policy.rpoSeconds,
    maxLagBytes: cluster.policy.maxLagBytes,
  };
};
