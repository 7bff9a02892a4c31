import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { classifyAwsError } from './errors';

/** An alarm's current state ('OK', 'ALARM', 'INSUFFICIENT_DATA'), or null when no such alarm exists. */
export const readAlarmState = async (client: CloudWatchClient, alarmName: string): Promise<string | null> => {
  try {
    const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm'] }));
    return out.MetricAlarms?.[0]?.StateValue ?? null;
  } catch (error) {
    throw classifyAwsError(error, `cloudwatch:DescribeAlarms ${alarmName}`);
  }
};

/** An alarm's state and when it entered it (ISO), or null when no such alarm exists. */
export const readAlarm = async (client: CloudWatchClient, alarmName: string): Promise<{ state: string; since: string | null } | null> => {
  try {
    const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm'] }));
    const alarm = out.MetricAlarms?.[0];
    if (!alarm?.StateValue) return null;
    return { state: alarm.StateValue, since: alarm.StateUpdatedTimestamp ? alarm.StateUpdatedTimestamp.toISOString() : null };
  } catch (error) {
    throw classifyAwsError(error, `cloudwatch:DescribeAlarms ${alarmName}`);
  }
};
