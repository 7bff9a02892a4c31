import { DescribeAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AlarmDefinition } from '../shared/infra/alarms';

/**
 * The emulator keeps alarms but never evaluates them; the local evaluator does (alarm-evaluator.ts).
 * This writes the locally evaluated state into the emulator's alarm (created from the one
 * definition on first use), so that code reading an alarm's state — the failover's re-checks —
 * sees what CloudWatch would show.
 */
export const mirrorAlarmState = async (
  client: CloudWatchClient,
  definition: AlarmDefinition,
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
  reason: string,
): Promise<void> => {
  const existing = await client.send(new DescribeAlarmsCommand({ AlarmNames: [definition.alarmName] }));
  if ((existing.MetricAlarms ?? []).length === 0) {
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: definition.alarmName,
        AlarmDescription: definition.description,
        Namespace: definition.namespace,
        MetricName: definition.metricName,
        Dimensions: definition.dimensions,
        Statistic: definition.statistic,
        Period: definition.periodSeconds,
        EvaluationPeriods: definition.evaluationPeriods,
        DatapointsToAlarm: definition.datapointsToAlarm,
        Threshold: definition.threshold,
        ComparisonOperator: definition.comparison,
        TreatMissingData: definition.treatMissingData,
      }),
    );
  }
  await client.send(new SetAlarmStateCommand({ AlarmName: definition.alarmName, StateValue: state, StateReason: reason.slice(0, 1023) }));
};
