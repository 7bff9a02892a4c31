import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';

/**
 * Reads back what was published to the emulator's CloudWatch: the data points of one metric with
 * exactly these dimensions since `since`, oldest first (1-second periods, Maximum).
 */
export const readMetric = async (
  region: string,
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  since: Date,
  statistic: 'Maximum' | 'Minimum' = 'Maximum',
): Promise<number[]> => {
  const client = new CloudWatchClient({ region });
  const out = await client.send(
    new GetMetricDataCommand({
      StartTime: since,
      EndTime: new Date(Date.now() + 60000),
      MetricDataQueries: [
        {
          Id: 'm',
          MetricStat: {
            Metric: {
              Namespace: namespace,
              MetricName: metricName,
              Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: 1,
            Stat: statistic,
          },
        },
      ],
      ScanBy: 'TimestampAscending',
    }),
  );
  const result = out.MetricDataResults?.[0];
  const points = (result?.Timestamps ?? []).map((t, i) => ({ t: t.getTime(), v: result?.Values?.[i] ?? NaN }));
  return points.sort((a, b) => a.t - b.t).map((p) => p.v);
};

/**
 * CloudWatch's finest resolution is one second: data points within the same second are aggregated
 * together. Waits for the next second to begin and returns it, so that what is published after it
 * is read back on its own.
 */
export const nextSecond = async (): Promise<Date> => {
  const now = Date.now();
  const boundary = Math.ceil((now + 1) / 1000) * 1000;
  await new Promise((resolve) => setTimeout(resolve, boundary - now + 5));
  return new Date(boundary);
};
