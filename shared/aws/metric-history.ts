import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { PositionSample } from '../decisions/types';
import { classifyAwsError } from './errors';

export interface WriterHistory {
  /** WriterWalPosition data points, oldest first. */
  positions: PositionSample[];
  /** Time of the newest PrimaryReachable = 1 data point, or null when none in the window. */
  lastReachableAt: number | null;
  /** Time of the first PrimaryReachable = 0 data point after that: the writer died in between. */
  firstUnreachableAt: number | null;
}

/**
 * What the monitor published about the writer over the last `minutes`: its WAL positions (the
 * reference for the lag guard and the data-loss receipt) and when it was last seen reachable.
 * `positions: false` reads reachability only (`positions` comes back empty): half the data for a
 * caller that only asks when the writer was last seen.
 */
export const readWriterHistory = async (
  client: CloudWatchClient,
  namespace: string,
  cluster: string,
  minutes: number,
  now = Date.now(),
  read: { positions?: boolean } = {},
): Promise<WriterHistory> => {
  const metric = (name: string) => ({
    Namespace: namespace,
    MetricName: name,
    Dimensions: [{ Name: 'Cluster', Value: cluster }],
  });
  const query = (id: string, name: string) => ({ Id: id, MetricStat: { Metric: metric(name), Period: 1, Stat: 'Maximum' } });
  try {
    const out = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - minutes * 60000),
        EndTime: new Date(now + 1000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          ...(read.positions === false ? [] : [query('position', 'WriterWalPosition')]),
          query('reachable', 'PrimaryReachable'),
        ],
      }),
    );
    const series = (id: string) => {
      const result = out.MetricDataResults?.find((r) => r.Id === id);
      return (result?.Timestamps ?? [])
        .map((t, i) => ({ at: t.getTime(), value: result?.Values?.[i] ?? NaN }))
        .filter((p) => Number.isFinite(p.value))
        .sort((a, b) => a.at - b.at);
    };
    const all = series('reachable');
    const lastReachableAt = all.filter((p) => p.value >= 1).at(-1)?.at ?? null;
    return {
      positions: series('position').map((p) => ({ at: p.at, lsn: p.value })),
      lastReachableAt,
      firstUnreachableAt: all.find((p) => p.value < 1 && (lastReachableAt === null || p.at > lastReachableAt))?.at ?? null,
    };
  } catch (error) {
    throw classifyAwsError(error, `cloudwatch:GetMetricData writer history of ${cluster}`);
  }
};
