import type { AlarmDefinition } from '../shared/infra/alarms';

/**
 * The "CloudWatch Alarm State Change" event EventBridge delivers when an alarm changes state
 * (the fields AWS documents for it). The local runner emits it after evaluating an alarm itself.
 */
export const alarmStateChangeEvent = (
  alarm: AlarmDefinition,
  change: { region: string; account?: string; value: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'; previous: string; reason: string; at: Date },
) => {
  const account = change.account ?? '000000000000';
  const timestamp = change.at.toISOString().replace('Z', '+0000');
  return {
    version: '0',
    id: `local-${alarm.alarmName}-${change.at.getTime()}`,
    'detail-type': 'CloudWatch Alarm State Change' as const,
    source: 'aws.cloudwatch' as const,
    account,
    time: change.at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: change.region,
    resources: [`arn:aws:cloudwatch:${change.region}:${account}:alarm:${alarm.alarmName}`],
    detail: {
      alarmName: alarm.alarmName,
      state: { value: change.value, reason: change.reason, timestamp },
      previousState: { value: change.previous, reason: '', timestamp },
      configuration: {
        description: alarm.description,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { namespace: alarm.namespace, name: alarm.metricName, dimensions: Object.fromEntries(alarm.dimensions.map((d) => [d.Name, d.Value])) },
              period: alarm.periodSeconds,
              stat: alarm.statistic,
            },
            returnData: true,
          },
        ],
      },
    },
  };
};
