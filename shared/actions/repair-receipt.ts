import { cloudWatchClient } from '../aws/clients/cloudwatch';
import type { LeaseStore } from '../aws/lease';
import { MetricPublisher } from '../aws/metric-publisher';
import type { FailoverConfig } from '../config/schema';

/** The CloudWatch metric counting what the convergence repaired, by cluster and `Kind`. */
export const REPAIRS_METRIC = 'Repairs';

/**
 * One repair as the history keeps it (a receipt of kind "repair"): what was wrong, what was done
 * and how it went. `failed` repairs are kept too: the next pass tries again, and the reason shows.
 */
export interface RepairReceipt {
  kind: 'repair';
  repair: 'database-url' | 'dns' | 'failover' | 'synchronous';
  at: string;
  /** `already-started`: the incident's execution name had already run (another pass started it): neither a failure nor a repair of this pass. */
  outcome: 'repaired' | 'failed' | 'started' | 'already-started';
  from: string | null;
  to: string | null;
  /** The DATABASE_URL's region and name, the execution started, or the writer whose synchronous standby changed. */
  target: string;
  /** Generation of the cluster record the repair was made from (null: not read). */
  generation: number | null;
  reasons: string[];
}

/**
 * Stores each repair's receipt (one item per repair: the same pass's never overwrite each other)
 * and publishes `Repairs` (1 per repair made or incident this pass started) with dimensions Cluster and Kind.
 * Returns what could not be recorded; the repairs themselves stand either way.
 */
export const recordRepairs = async (config: FailoverConfig, cluster: string, store: Pick<LeaseStore, 'recordReceipt'>, holder: string, receipts: RepairReceipt[]): Promise<string[]> => {
  if (receipts.length === 0) return [];
  const publisher = new MetricPublisher(cloudWatchClient(config.controlRegion), config.namespace, 0);
  publisher.add(
    receipts
      .filter((r) => r.outcome === 'repaired' || r.outcome === 'started')
      .map((r) => ({
        MetricName: REPAIRS_METRIC,
        Unit: 'Count' as const,
        Value: 1,
        Timestamp: new Date(r.at),
        Dimensions: [
          { Name: 'Cluster', Value: cluster },
          { Name: 'Kind', Value: r.repair },
        ],
      })),
  );
  const stored = await Promise.allSettled(receipts.map((r) => store.recordReceipt(cluster, `${holder}-${r.repair}-${r.target}`.replace(/[^A-Za-z0-9_./-]/g, '_'), r.at, r)));
  const errors = stored.flatMap((s) => (s.status === 'rejected' ? [`receipt not stored: ${(s.reason as Error).message}`] : []));
  return [...errors, ...(await publisher.close()).map((e) => `metric not published: ${e.message}`)];
};
