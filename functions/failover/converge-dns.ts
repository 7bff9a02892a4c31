import { convergePublished, type PublishedConvergence } from '../../shared/actions/converge-published';
import { recordRepairs } from '../../shared/actions/repair-receipt';
import { restartStrandedAlarm, type RestartOutcome } from '../../shared/actions/restart-incident';
import { stepFunctionsRunning, stepFunctionsStarter, type ExecutionStarter, type RunningExecutions } from '../../shared/aws/step-functions';
import { clustersSelected } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import type { ClusterConfig, FailoverConfig } from '../../shared/config/schema';
import { scheduledClusterInput } from '../../shared/scheduled';
import { alarmPrefix, clusterRecordStore, leaseStore } from '../../shared/workflow/environment';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

export const convergeDnsInput = scheduledClusterInput;

/** One cluster's pass: what was repaired, what is still pending, and the stranded alarm's verdict. */
export interface ClusterConvergence extends PublishedConvergence {
  cluster: string;
  failover: Omit<RestartOutcome, 'receipt'>;
  /** Receipts or metrics that could not be recorded (the repairs stand). */
  errors: string[];
}

const convergeCluster = async (config: FailoverConfig, cluster: ClusterConfig, deps: { start: ExecutionStarter; running: RunningExecutions }): Promise<ClusterConvergence> => {
  const stores = { leases: leaseStore(config), records: clusterRecordStore(config) };
  const now = Date.now();
  const published = await convergePublished(cluster, stores, now).catch((error: Error) => ({
    generation: null,
    writer: null,
    receipts: [],
    pending: [],
    unchecked: [{ what: 'DATABASE_URL and DNS (the cluster state or the lease)', reason: error.message }],
    deferred: null,
  }));
  // After the repairs' lease is released: a new incident needs the lease free.
  const { receipt, ...failover } = await restartStrandedAlarm({ config, cluster, alarmPrefix: alarmPrefix() }, { ...stores, ...deps }, Date.now()).catch(
    (error: Error): RestartOutcome => ({ start: false, held: true, reason: `could not start the failover: ${error.message}` }),
  );
  const receipts = [...published.receipts, ...(receipt ? [receipt] : [])];
  const errors = await recordRepairs(config, cluster.name, stores.leases, `converge-${cluster.name}-${now}`, receipts);
  const result = { cluster: cluster.name, ...published, failover, errors };
  const troubled = result.pending.length > 0 || result.unchecked.length > 0 || errors.length > 0 || ('held' in failover && failover.held === true);
  const level = troubled ? 'warn' : receipts.length > 0 || failover.start ? 'info' : null;
  if (level) log[level]('convergence', { ...result });
  return result;
};

/**
 * Scheduled, once a minute: keeps the cluster's promises between incidents. Every DATABASE_URL and
 * the cluster record are brought to the writer the cluster record names (under the lease and the
 * record's generation: finishing what a failover could not write, SSM or Route 53), and a failover
 * alarm still in ALARM with nothing handling it starts a new incident once nothing holds it back.
 */
export const makeConvergeDns =
  (deps: { start: ExecutionStarter; running: RunningExecutions }) =>
  async (input: { cluster?: string }): Promise<{ clusters: ClusterConvergence[] }> => {
    const config = loadConfig();
    return { clusters: await Promise.all(clustersSelected(config, input.cluster).map((cluster) => convergeCluster(config, cluster, deps))) };
  };

export const convergeDns = makeConvergeDns({ start: stepFunctionsStarter, running: stepFunctionsRunning });
export const handler = lambda('convergeDns', convergeDns, { input: convergeDnsInput });
