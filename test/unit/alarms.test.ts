import { alarmDefinitions } from '../../shared/infra/alarms';
import { dashboardBody } from '../../shared/infra/dashboard';
import { parseConfig } from '../../shared/config/load';
import { aConfig } from '../fixtures/config';
import { alarmEventSchema, decideTrigger } from '../../shared/decisions/trigger';
import { alarmStateChangeEvent } from '../../local/alarm-event';

/** The alarm names serverless.yml's EventBridge rule starts the failover on. */
const forServerlessAlarmNames = (config: ReturnType<typeof aConfig>) =>
  alarmDefinitions(parseConfig(config, 'x'), 'p').filter((a) => a.triggersFailover).map((a) => a.alarmName);

describe('alarms generated from the configuration', () => {
  it('gives each cluster a failover trigger, a monitor-blind alarm, a sender alarm, a SyncRep wait alarm and lag and receiver alarms per standby', () => {
    const config = aConfig();
    const alarms = alarmDefinitions(config, 'pgfo-prod');
    expect(alarms.map((a) => a.alarmName).sort()).toEqual([
      'pgfo-prod-orders-monitor-blind',
      'pgfo-prod-orders-primary-unreachable',
      'pgfo-prod-orders-split-brain',
      'pgfo-prod-orders-standby_az2-replication-lag',
      'pgfo-prod-orders-standby_az2-wal-receiver-down',
      'pgfo-prod-orders-standby_dr-replication-lag',
      'pgfo-prod-orders-standby_dr-wal-receiver-down',
      'pgfo-prod-orders-sync-rep-wait',
      'pgfo-prod-orders-wal-senders-low',
    ]);
    expect(alarms.filter((a) => a.triggersFailover).map((a) => a.kind)).toEqual(['primary-unreachable']);
  });

  it('pages when commits wait on the synchronous standby longer than syncLossSeconds (notifies only)', () => {
    const config = aConfig();
    config.clusters[0]!.policy.syncLossSeconds = 12;
    const alarm = alarmDefinitions(parseConfig(config, 'x'), 'p').find((a) => a.kind === 'sync-rep-wait');
    expect(alarm).toMatchObject({ metricName: 'SyncRepWaitSeconds', statistic: 'Maximum', threshold: 12, comparison: 'GreaterThanThreshold', triggersFailover: false, datapointsToAlarm: 2 });
  });

  it('uses the RPO as lag threshold, the standby count for senders, and decides failover on published data only', () => {
    const config = aConfig();
    config.clusters[0]!.policy.rpoSeconds = 12;
    const alarms = alarmDefinitions(parseConfig(config, 'x'), 'p');
    const lag = alarms.find((a) => a.alarmName === 'p-orders-standby_dr-replication-lag');
    expect(lag).toMatchObject({ metricName: 'FlushLagSeconds', threshold: 12, comparison: 'GreaterThanThreshold', periodSeconds: 10 });
    // The alarms that page a person need 2 of 3; the failover alarm 1 of 3 (the workflow confirms).
    expect(alarms.find((a) => a.kind === 'wal-senders-low')).toMatchObject({ threshold: 2, comparison: 'LessThanThreshold', datapointsToAlarm: 2, evaluationPeriods: 3 });
    expect(alarms.find((a) => a.kind === 'primary-unreachable')).toMatchObject({
      metricName: 'PrimaryReachable',
      statistic: 'Maximum',
      treatMissingData: 'notBreaching',
      datapointsToAlarm: 1,
      evaluationPeriods: 3,
      dimensions: [{ Name: 'Cluster', Value: 'orders' }],
    });
  });

  it('watches the monitor itself: no PrimaryReachable sample for monitorBlindSeconds is an alarm that notifies and never starts a failover', () => {
    const config = aConfig();
    config.clusters[0]!.alarms.monitorBlindSeconds = 45;
    const blind = alarmDefinitions(parseConfig(config, 'x'), 'p').find((a) => a.kind === 'monitor-blind')!;
    expect(blind).toMatchObject({
      alarmName: 'p-orders-monitor-blind',
      metricName: 'PrimaryReachable',
      statistic: 'SampleCount',
      comparison: 'LessThanThreshold',
      threshold: 1,
      treatMissingData: 'breaching',
      triggersFailover: false,
      periodSeconds: 10,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
    });
    const event = alarmStateChangeEvent(blind, { region: 'us-west-2', value: 'ALARM', previous: 'OK', reason: 'no data', at: new Date(Date.UTC(2026, 0, 1)) });
    expect(decideTrigger(alarmEventSchema.parse(event), parseConfig(config, 'x'), 'p')).toEqual({ start: false, reason: 'p-orders-monitor-blind does not trigger failover' });
    expect(forServerlessAlarmNames(config)).toEqual(['p-orders-primary-unreachable']);
  });

  it('never asks the alarms that notify for more datapoints than they evaluate', () => {
    const config = aConfig();
    config.clusters[0]!.alarms = { evaluationPeriods: 1, datapointsToAlarm: 1 } as never;
    const alarms = alarmDefinitions(parseConfig(config, 'x'), 'p').filter((a) => a.kind !== 'monitor-blind');
    expect(new Set(alarms.map((a) => `${a.datapointsToAlarm} of ${a.evaluationPeriods}`))).toEqual(new Set(['1 of 1']));
    config.clusters[0]!.alarms = { evaluationPeriods: 3, notifyDatapointsToAlarm: 3 } as never;
    const set = alarmDefinitions(parseConfig(config, 'x'), 'p');
    expect(set.find((a) => a.kind === 'split-brain')).toMatchObject({ datapointsToAlarm: 3 });
    expect(set.find((a) => a.kind === 'primary-unreachable')).toMatchObject({ datapointsToAlarm: 1 });
  });

  it('keeps logical ids unique for names that differ only in punctuation', () => {
    const config = aConfig();
    const second = structuredClone(config.clusters[0]!);
    second.name = 'ord-ers';
    config.clusters[0]!.name = 'ord_ers';
    config.clusters.push(second);
    const ids = alarmDefinitions(config, 'p').map((a) => a.logicalId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws the RPO and the lag guard on the dashboard', () => {
    const config = aConfig();
    const body = JSON.stringify(dashboardBody(config, config.clusters[0]!, alarmDefinitions(config, 'p')));
    expect(body).toContain('"label":"RPO 30 s","value":30');
    expect(body).toContain(`"value":${16 * 1024 * 1024}`);
    expect(body).toContain('p-orders-primary-unreachable');
  });

  it('draws every member on the per-node widgets (roles change with failovers) and shows whether failover is paused', () => {
    const config = aConfig();
    const { widgets } = dashboardBody(config, config.clusters[0]!, alarmDefinitions(config, 'p'));
    const lines = (title: RegExp) =>
      widgets
        .filter((w) => title.test(String((w.properties as { title?: string }).title)))
        .flatMap((w) => (w.properties as { metrics: unknown[][] }).metrics)
        .map((m) => m.slice(1, 6).join(' '));
    const primary = config.clusters[0]!.nodes.find((n) => n.role === 'primary')!.name;
    expect(lines(/Flush lag/)).toContain(`FlushLagSeconds Cluster orders Node ${primary}`);
    expect(lines(/Node health/)).toContain(`WalReceiverUp Cluster orders Node ${primary}`);
    expect(lines(/paused/)).toEqual([expect.stringMatching(/^FailoverPaused Cluster orders/)]);
  });
});
