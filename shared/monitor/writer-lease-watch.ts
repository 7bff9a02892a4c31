import type { MetricPublisher } from '../aws/metric-publisher';
import type { WriterLease } from '../decisions/writer-lease';
import { log } from '../log';
import { writerLeaseDatums } from './datums';

/**
 * Reads each cluster's writer lease beside the sampling and publishes its counter
 * (WriterLeaseCounter) when the read answers, timestamped then: a failover's first check starts
 * counting from the monitor's first sight of a counter. The sample is never held up by it: at most
 * one read per cluster is in flight (a store that does not answer is not asked again meanwhile), and
 * one that fails publishes nothing (logged once per cluster and invocation; no guess).
 */
export const writerLeaseWatch = (publisher: MetricPublisher, read?: (cluster: string) => Promise<WriterLease | null>, now: () => Date = () => new Date()) => {
  const inFlight = new Map<string, Promise<void>>();
  const warned = new Set<string>();
  return {
    /** Starts a read of `cluster`'s lease unless one is still running (or there is no store). */
    read(cluster: string): void {
      if (!read || inFlight.has(cluster)) return;
      const done = read(cluster)
        .then((lease) => publisher.add(writerLeaseDatums(cluster, lease, now())))
        .catch((error: Error) => {
          if (warned.has(cluster)) return;
          warned.add(cluster);
          log.warn('writer lease unreadable: WriterLeaseCounter not published', { cluster, error });
        })
        .finally(() => inFlight.delete(cluster));
      inFlight.set(cluster, done);
    },
    /** Waits for the reads still running (before the publisher is closed). */
    settled: async (): Promise<void> => {
      await Promise.all(inFlight.values());
    },
  };
};
