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
      StartTime: new Date(since.getTime() - 1000),
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
