import type { ClusterConfig, FailoverConfig } from '../config/schema';
import type { MetricName } from '../monitor/metric-names';
import { logicalId } from './names';

export type AlarmKind = 'primary-unreachable' | 'monitor-blind' | 'replication-lag' | 'wal-receiver-down' | 'wal-senders-low' | 'split-brain' | 'sync-rep-wait';
export type Comparison = 'GreaterThanThreshold' | 'LessThanThreshold';
export type MissingData = 'breaching' | 'notBreaching' | 'missing' | 'ignore';

/**
 * One alarm, described once: serverless.yml turns it into an AWS::CloudWatch::Alarm and the local
 * drill evaluates the same definition against the metrics the monitor published.
 */
export interface AlarmDefinition {
  logicalId: string;
  alarmName: string;
  description: string;
  kind: AlarmKind;
  cluster: string;
  node?: string;
  /** Starts the failover state machine when it goes to ALARM. */
  triggersFailover: boolean;
  namespace: string;
  metricName: MetricName;
  dimensions: Array<{ Name: string; Value: string }>;
  /** SampleCount: how many values were published in a period (a period with none is missing). */
  statistic: 'Maximum' | 'Minimum' | 'SampleCount';
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison: Comparison;
  treatMissingData: MissingData;
}

const clusterAlarms = (config: FailoverConfig, cluster: ClusterConfig, prefix: string): AlarmDefinition[] => {
  const { periodSeconds, evaluationPeriods, datapointsToAlarm, notifyDatapointsToAlarm } = cluster.alarms;
  // The failover alarm only starts the workflow, which confirms before acting; the others page a person.
  const failoverWindow = { periodSeconds, evaluationPeriods, datapointsToAlarm, namespace: config.namespace };
  const window = { ...failoverWindow, datapointsToAlarm: notifyDatapointsToAlarm ?? Math.min(2, evaluationPeriods) };
  const blindPeriods = Math.max(1, Math.ceil(cluster.alarms.monitorBlindSeconds / periodSeconds));
  const blind = { evaluationPeriods: blindPeriods, datapointsToAlarm: blindPeriods };
  const clusterDims = [{ Name: 'Cluster', Value: cluster.name }];
  const nodeDims = (node: string) => [...clusterDims, { Name: 'Node', Value: node }];
  const standbys = cluster.nodes.filter((node) => node.role !== 'primary');
  const alarms: AlarmDefinition[] = [
    {
      ...failoverWindow,
      logicalId: logicalId('Alarm', cluster.name, 'PrimaryUnreachable'),
      alarmName: `${prefix}-${cluster.name}-primary-unreachable`,
      description: `The monitor published that no writable node of ${cluster.name} answered its probe. Decides on published data only (a silent monitor is the monitor-blind alarm's business). Starts the failover workflow, which confirms the outage before acting.`,
      kind: 'primary-unreachable',
      cluster: cluster.name,
      triggersFailover: true,
      metricName: 'PrimaryReachable',
      dimensions: clusterDims,
      statistic: 'Maximum',
      threshold: 1,
      comparison: 'LessThanThreshold',
      // Missing data is the monitor's silence, not the primary's: it must never start a failover.
      treatMissingData: 'notBreaching',
    },
    {
      ...window,
      ...blind,
      logicalId: logicalId('Alarm', cluster.name, 'MonitorBlind'),
      alarmName: `${prefix}-${cluster.name}-monitor-blind`,
      description: `The monitor published nothing for ${cluster.name} for ${blind.evaluationPeriods * periodSeconds} s (it is not running, throttled, failing before it publishes, or cannot reach CloudWatch): automatic failover cannot see an outage. Notifies only; never starts a failover.`,
      kind: 'monitor-blind',
      cluster: cluster.name,
      triggersFailover: false,
      metricName: 'PrimaryReachable',
      dimensions: clusterDims,
      statistic: 'SampleCount',
      threshold: 1,
      comparison: 'LessThanThreshold',
      treatMissingData: 'breaching',
    },
    {
      ...window,
      logicalId: logicalId('Alarm', cluster.name, 'WalSendersLow'),
      alarmName: `${prefix}-${cluster.name}-wal-senders-low`,
      description: `Fewer than ${standbys.length} standbys of ${cluster.name} are streaming from the writer.`,
      kind: 'wal-senders-low',
      cluster: cluster.name,
      triggersFailover: false,
      metricName: 'WalSenders',
      dimensions: clusterDims,
      statistic: 'Minimum',
      threshold: standbys.length,
      comparison: 'LessThanThreshold',
      treatMissingData: 'notBreaching',
    },
    {
      ...window,
      logicalId: logicalId('Alarm', cluster.name, 'SplitBrain'),
      alarmName: `${prefix}-${cluster.name}-split-brain`,
      description: `More than one node of ${cluster.name} accepts writes (for example an old primary restarted after a failover). Fence the one that is not published.`,
      kind: 'split-brain',
      cluster: cluster.name,
      triggersFailover: false,
      metricName: 'WritableNodes',
      dimensions: clusterDims,
      statistic: 'Maximum',
      threshold: 1,
      comparison: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    },
    {
      ...window,
      logicalId: logicalId('Alarm', cluster.name, 'SyncRepWait'),
      alarmName: `${prefix}-${cluster.name}-sync-rep-wait`,
      description: `Commits on the writer of ${cluster.name} have waited more than ${cluster.policy.syncLossSeconds} s (policy.syncLossSeconds) for their synchronous standby. With synchronousMode "on" the control plane names another standby or none within about that long, so this means it could not (see the monitor's log and pgfo history); with "strict" commits wait until a standby in the writer's region streams again: bring one back.`,
      kind: 'sync-rep-wait',
      cluster: cluster.name,
      triggersFailover: false,
      metricName: 'SyncRepWaitSeconds',
      dimensions: clusterDims,
      statistic: 'Maximum',
      threshold: cluster.policy.syncLossSeconds,
      comparison: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    },
  ];
  for (const node of standbys) {
    alarms.push(
      {
        ...window,
        logicalId: logicalId('Alarm', cluster.name, node.name, 'ReplicationLag'),
        alarmName: `${prefix}-${cluster.name}-${node.name}-replication-lag`,
        description: `${node.name} of ${cluster.name} has not flushed WAL older than the RPO of ${cluster.policy.rpoSeconds} s: a failover onto it now would lose more than the RPO.`,
        kind: 'replication-lag',
        cluster: cluster.name,
        node: node.name,
        triggersFailover: false,
        metricName: 'FlushLagSeconds',
        dimensions: nodeDims(node.name),
        statistic: 'Maximum',
        threshold: cluster.policy.rpoSeconds,
        comparison: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      },
      {
        ...window,
        logicalId: logicalId('Alarm', cluster.name, node.name, 'WalReceiverDown'),
        alarmName: `${prefix}-${cluster.name}-${node.name}-wal-receiver-down`,
        description: `The WAL receiver of ${node.name} (${cluster.name}) is not streaming, or the node does not answer.`,
        kind: 'wal-receiver-down',
        cluster: cluster.name,
        node: node.name,
        triggersFailover: false,
        metricName: 'WalReceiverUp',
        dimensions: nodeDims(node.name),
        statistic: 'Minimum',
        threshold: 1,
        comparison: 'LessThanThreshold',
        treatMissingData: 'notBreaching',
      },
    );
  }
  return alarms;
};

/** Every alarm of every cluster. `prefix` keeps names unique per deployment (service-stage). */
export const alarmDefinitions = (config: FailoverConfig, prefix: string): AlarmDefinition[] =>
  config.clusters.flatMap((cluster) => clusterAlarms(config, cluster, prefix));

/** The CloudFormation resource of one alarm. */
export const alarmResource = (alarm: AlarmDefinition, actions: { alarm?: unknown[] } = {}) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmName: alarm.alarmName,
    AlarmDescription: alarm.description,
    Namespace: alarm.namespace,
    MetricName: alarm.metricName,
    Dimensions: alarm.dimensions,
    Statistic: alarm.statistic,
    Period: alarm.periodSeconds,
    EvaluationPeriods: alarm.evaluationPeriods,
    DatapointsToAlarm: alarm.datapointsToAlarm,
    Threshold: alarm.threshold,
    ComparisonOperator: alarm.comparison,
    TreatMissingData: alarm.treatMissingData,
    ...(actions.alarm ? { AlarmActions: actions.alarm, OKActions: actions.alarm } : {}),
  },
});
