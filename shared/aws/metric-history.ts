import { GetMetricDataCommand, type CloudWatchClient, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { PositionSample } from '../decisions/types';
import type { CounterPoint } from '../decisions/writer-lease';
import { classifyAwsError } from './errors';

/** Finite data points of one query's result, oldest first. */
const seriesOf = (result: MetricDataResult | undefined): CounterPoint[] =>
  (result?.Timestamps ?? [])
    .map((t, i) => ({ at: t.getTime(), value: result?.Values?.[i] ?? NaN }))
    .filter((p) => Number.isFinite(p.value))
    .sort((a, b) => a.at - b.at);

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
  try {
    const series = await readSeries(client, { namespace, dimensions: { Cluster: cluster }, minutes, now }, {
      ...(read.positions === false ? {} : { position: 'WriterWalPosition' }),
      reachable: 'PrimaryReachable',
    });
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

/** The period of a WriterLeaseCounter read: the monitor publishes it at 1 s resolution. */
export const LEASE_COUNTER_PERIOD_MS = 1000;

/**
 * The WriterLeaseCounter series the monitor published for one lease (cluster, node, generation)
 * over the last `minutes`, oldest first, one point per second (Maximum: a second in which the
 * counter changed shows the newer value).
 */
export const readLeaseCounter = async (
  client: CloudWatchClient,
  namespace: string,
  lease: { cluster: string; node: string; generation: number },
  minutes: number,
  now = Date.now(),
): Promise<CounterPoint[]> => {
  const dimensions = { Cluster: lease.cluster, Node: lease.node, Generation: String(lease.generation) };
  try {
    return (await readSeries(client, { namespace, dimensions, minutes, now }, { counter: 'WriterLeaseCounter' }))('counter');
  } catch (error) {
    throw classifyAwsError(error, `cloudwatch:GetMetricData writer lease counter of ${lease.cluster}`);
  }
};

/**
 * One GetMetricData call for the 1 s Maximum of each named metric (query id → metric name) with
 * the same dimensions over the last `minutes`; returns each query's points, oldest first.
 */
const readSeries = async (
  client: CloudWatchClient,
  window: { namespace: string; dimensions: Record<string, string>; minutes: number; now: number },
  queries: Record<string, string>,
): Promise<(id: string) => CounterPoint[]> => {
  const Dimensions = Object.entries(window.dimensions).map(([Name, Value]) => ({ Name, Value }));
  const out = await client.send(
    new GetMetricDataCommand({
      StartTime: new Date(window.now - window.minutes * 60000),
      EndTime: new Date(window.now + 1000),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: Object.entries(queries).map(([Id, MetricName]) => ({ Id, MetricStat: { Metric: { Namespace: window.namespace, MetricName, Dimensions }, Period: 1, Stat: 'Maximum' } })),
    }),
  );
  return (id) => seriesOf(out.MetricDataResults?.find((r) => r.Id === id));
};
