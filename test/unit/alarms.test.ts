import { alarmDefinitions } from '../../shared/infra/alarms';
import { dashboardBody } from '../../shared/infra/dashboard';
import { parseConfig } from '../../shared/config/load';
import { aConfig } from '../fixtures/config';

describe('alarms generated from the configuration', () => {
  it('gives each cluster a failover trigger, a sender alarm and lag and receiver alarms per standby', () => {
    const config = aConfig();
    const alarms = alarmDefinitions(config, 'pgfo-prod');
    expect(alarms.map((a) => a.alarmName).sort()).toEqual([
      'pgfo-prod-orders-primary-unreachable',
      'pgfo-prod-orders-split-brain',
      'pgfo-prod-orders-standby_az2-replication-lag',
      'pgfo-prod-orders-standby_az2-wal-receiver-down',
      'pgfo-prod-orders-standby_dr-replication-lag',
      'pgfo-prod-orders-standby_dr-wal-receiver-down',
      'pgfo-prod-orders-wal-senders-low',
    ]);
    expect(alarms.filter((a) => a.triggersFailover).map((a) => a.kind)).toEqual(['primary-unreachable']);
  });

  it('uses the RPO as lag threshold, the standby count for senders and treats a silent primary as down', () => {
    const config = aConfig();
    config.clusters[0]!.policy.rpoSeconds = 12;
    const alarms = alarmDefinitions(parseConfig(config, 'x'), 'p');
    const lag = alarms.find((a) => a.alarmName === 'p-orders-standby_dr-replication-lag');
    expect(lag).toMatchObject({ metricName: 'FlushLagSeconds', threshold: 12, comparison: 'GreaterThanThreshold', periodSeconds: 10 });
    expect(alarms.find((a) => a.kind === 'wal-senders-low')).toMatchObject({ threshold: 2, comparison: 'LessThanThreshold' });
    expect(alarms.find((a) => a.kind === 'primary-unreachable')).toMatchObject({
      metricName: 'PrimaryReachable',
      treatMissingData: 'breaching',
      dimensions: [{ Name: 'Cluster', Value: 'orders' }],
    });
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
});
