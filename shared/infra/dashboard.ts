import type { ClusterConfig, FailoverConfig } from '../config/schema';
import type { MetricName } from '../monitor/metric-names';
import type { AlarmDefinition } from './alarms';
import { logicalId } from './names';

type Widget = Record<string, unknown>;

const metricWidget = (
  config: FailoverConfig,
  title: string,
  metrics: unknown[][],
  position: { x: number; y: number },
  extra: Record<string, unknown> = {},
): Widget => ({
  type: 'metric',
  ...position,
  width: 12,
  height: 6,
  properties: { title, region: config.controlRegion, view: 'timeSeries', stat: 'Maximum', period: 10, metrics, ...extra },
});

const perNode = (config: FailoverConfig, cluster: ClusterConfig, name: MetricName, nodes: string[]) =>
  nodes.map((node) => [config.namespace, name, 'Cluster', cluster.name, 'Node', node, { label: `${node} ${name}` }]);

const perCluster = (config: FailoverConfig, cluster: ClusterConfig, names: MetricName[]) =>
  names.map((name) => [config.namespace, name, 'Cluster', cluster.name, { label: name }]);

/**
 * The widgets of one cluster's dashboard: lag against the RPO and the lag guard, then health, then
 * whether automatic failover is paused. Per-node lines cover every member: roles change with each
 * failover, and a node publishes standby metrics only while it is one.
 */
export const dashboardBody = (config: FailoverConfig, cluster: ClusterConfig, alarms: AlarmDefinition[]) => {
  const all = cluster.nodes.map((n) => n.name);
  const widgets: Widget[] = [
    metricWidget(config, 'Flush lag (s) vs RPO', perNode(config, cluster, 'FlushLagSeconds', all), { x: 0, y: 0 }, {
      annotations: { horizontal: [{ label: `RPO ${cluster.policy.rpoSeconds} s`, value: cluster.policy.rpoSeconds }] },
    }),
    metricWidget(
      config,
      'Lag (bytes) vs lag guard',
      [...perNode(config, cluster, 'FlushLagBytes', all), ...perNode(config, cluster, 'ReplayLagBytes', all)],
      { x: 12, y: 0 },
      { annotations: { horizontal: [{ label: 'lag guard', value: cluster.policy.maxLagBytes }] } },
    ),
    metricWidget(
      config,
      'Writer and replication',
      perCluster(config, cluster, ['PrimaryReachable', 'WritableNodes', 'WalSenders', 'HealthyStandbys']),
      { x: 0, y: 6 },
    ),
    metricWidget(
      config,
      'Node health',
      [...perNode(config, cluster, 'NodeReachable', all), ...perNode(config, cluster, 'WalReceiverUp', all)],
      { x: 12, y: 6 },
      { stat: 'Minimum' },
    ),
    metricWidget(config, 'Slots and archiving', perCluster(config, cluster, ['SlotRetainedBytes', 'InactiveSlots', 'LastArchiveAgeSeconds']), {
      x: 0,
      y: 12,
    }),
    {
      type: 'alarm',
      x: 12,
      y: 12,
      width: 12,
      height: 6,
      properties: {
        title: 'Alarms',
        alarms: alarms.map((a) => `arn:aws:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${a.alarmName}`),
      },
    },
    metricWidget(config, 'Automatic failover paused (1 = paused: pgfo pause / resume)', perCluster(config, cluster, ['FailoverPaused']), { x: 0, y: 18 }, {
      view: 'singleValue',
      sparkline: true,
    }),
    metricWidget(config, 'Oldest commit waiting on the synchronous standby (s)', perCluster(config, cluster, ['SyncRepWaitSeconds']), { x: 12, y: 18 }, {
      annotations: { horizontal: [{ label: `syncLossSeconds ${cluster.policy.syncLossSeconds}`, value: cluster.policy.syncLossSeconds }] },
    }),
  ];
  return { widgets };
};

/** One AWS::CloudWatch::Dashboard per cluster. */
export const dashboardResources = (config: FailoverConfig, alarms: AlarmDefinition[], prefix: string) =>
  Object.fromEntries(
    config.clusters.map((cluster) => [
      logicalId('Dashboard', cluster.name),
      {
        Type: 'AWS::CloudWatch::Dashboard',
        Properties: {
          DashboardName: `${prefix}-${cluster.name}`.replace(/[^A-Za-z0-9_-]/g, '-'),
          DashboardBody: {
            'Fn::Sub': JSON.stringify(dashboardBody(config, cluster, alarms.filter((a) => a.cluster === cluster.name))),
          },
        },
      },
    ]),
  );
