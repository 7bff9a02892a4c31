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
