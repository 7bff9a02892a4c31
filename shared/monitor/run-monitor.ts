import type { FailoverConfig, ClusterConfig } from '../config/schema';
import type { MetricPublisher } from '../aws/metric-publisher';
import { log } from '../log';
import { ClusterSampler, type SamplerDeps } from './sampler';
import { summarise, type ClusterObservation } from './snapshot';
import { pausedDatums, toDatums } from './datums';
import { sleep } from '../time';
import type { WriterLease } from '../decisions/writer-lease';
import { writerLeaseWatch } from './writer-lease-watch';

export interface MonitorOptions {
  /** Override every cluster's samplesPerInvocation. */
  samples?: number;
  /** Override every cluster's sampleIntervalSeconds (milliseconds, for drills and tests). */
  intervalMs?: number;
  /** Only these clusters (default: all). */
  clusters?: string[];
  /** Most clusters sampled at the same instant. @default 16 */
  concurrency?: number;
}

export interface MonitorSummary {
  clusters: number;
  rounds: number;
  dataPoints: number;
  putMetricDataCalls: number;
  /** Database connections opened: one per node per cluster unless a node dropped and was reconnected. */
  connectionsOpened: number;
  durationMs: number;
  /** Distinct (cluster, node, reason) seen unreachable during the invocation. */
  unreachable: Array<{ cluster: string; node: string; reason: string }>;
  errors: string[];
}

/** A counting semaphore: bounds concurrent probes, not concurrent loops (loops mostly sleep). */
const limiter = (max: number) => {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
};

/**
 * Samples every selected cluster `samples` times, `interval` apart, publishing each round as soon
 * as it is taken (alarms need data while the invocation still runs).
 */
export const runMonitor = async (
  config: FailoverConfig,
  options: MonitorOptions,
  deps: SamplerDeps & {
    publisher: MetricPublisher;
    /** Whether the cluster record says automatic failover is paused (read once per invocation). */
    pausedOf?: (cluster: string) => Promise<boolean>;
    /**
     * Acts on each sample once it is published (the synchronous standby's management): on the
     * monitor's cadence, not a schedule's. It runs beside the sampling, never in its way: a hook
     * still running (a session to a writer that froze) is not started again for that cluster, and
     * the next samples are taken and published meanwhile (the failover alarm must see a lost writer
     * at once). The invocation waits for the last one before it returns. A failure is reported in
     * the summary; sampling goes on.
     */
    afterSample?: (cluster: ClusterConfig, observation: ClusterObservation) => Promise<void>;
    /** The writer lease of a cluster (deployment.writerLease), read beside each sample: WriterLeaseCounter. */
    writerLeaseOf?: (cluster: string) => Promise<WriterLease | null>;
  },
): Promise<MonitorSummary> => {
  const started = Date.now();
  const selected = options.clusters
    ? config.clusters.filter((cluster) => options.clusters?.includes(cluster.name))
    : config.clusters;
  const limit = limiter(options.concurrency ?? 16);
  const seen = new Map<string, { cluster: string; node: string; reason: string }>();
  const errors: string[] = [];
  /** The sample hook running per cluster (at most one each). */
  const acting = new Map<string, Promise<void>>();
  const leases = writerLeaseWatch(deps.publisher, deps.writerLeaseOf);
  let rounds = 0;
  let connectionsOpened = 0;

  /** Paused or not, or null (logged, and in the summary's errors) when the record could not be read. */
  const readPaused = async (name: string): Promise<boolean | null> => {
    if (!deps.pausedOf) return null;
    try {
      return await deps.pausedOf(name);
    } catch (error) {
      errors.push(`${name}: cluster record not read, FailoverPaused not published: ${(error as Error).message}`);
      log.error('cluster record not read', { cluster: name, error });
      return null;
    }
  };

  const loop = async (cluster: ClusterConfig) => {
    const sampler = new ClusterSampler(cluster, deps);
    const samples = options.samples ?? cluster.monitor.samplesPerInvocation;
    const intervalMs = options.intervalMs ?? cluster.monitor.sampleIntervalSeconds * 1000;
    const paused = await readPaused(cluster.name);
    try {
      for (let round = 0; round < samples; round += 1) {
        const roundStart = Date.now();
        leases.read(cluster.name);
        const observation = await limit(() => sampler.sample());
        const snapshot = summarise(observation);
        deps.publisher.add([...toDatums(observation, snapshot), ...pausedDatums(cluster.name, paused, snapshot.at)]);
        rounds += 1;
        if (deps.afterSample && !acting.has(cluster.name)) {
          const act = deps.afterSample(cluster, observation)
            .catch((error: Error) => {
              errors.push(`${cluster.name}: ${error.message}`);
              log.error('acting on a sample failed', { cluster: cluster.name, error });
            })
            .finally(() => acting.delete(cluster.name));
          acting.set(cluster.name, act);
        }
        for (const { node, reason } of snapshot.unreachable) {
          const key = `${cluster.name}\u0000${node}\u0000${reason}`;
          if (!seen.has(key)) {
            seen.set(key, { cluster: cluster.name, node, reason });
            log.warn('node unreachable', { cluster: cluster.name, node, reason });
          }
        }
        if (round < samples - 1) await sleep(Math.max(0, roundStart + intervalMs - Date.now()));
      }
    } catch (error) {
      errors.push(`${cluster.name}: ${(error as Error).message}`);
      log.error('cluster sampling failed', { cluster: cluster.name, error });
    } finally {
      connectionsOpened += sampler.connectionsOpened;
      await sampler.close();
    }
  };

  await Promise.all(selected.map(loop));
  await Promise.all(acting.values());
  await leases.settled();
  for (const failure of await deps.publisher.close()) {
    errors.push(failure.message);
    log.error('publishing metrics failed', { error: failure });
  }
  return {
    clusters: selected.length,
    rounds,
    dataPoints: deps.publisher.stats.datums,
    putMetricDataCalls: deps.publisher.stats.calls,
    connectionsOpened,
    durationMs: Date.now() - started,
    unreachable: [...seen.values()],
    errors,
  };
};
