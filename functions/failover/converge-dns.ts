import { convergePublished, type PublishedConvergence } from '../../shared/actions/converge-published';
import { recordRepairs } from '../../shared/actions/repair-receipt';
import { restartStrandedAlarm, type RestartOutcome } from '../../shared/actions/restart-incident';
import * as z from 'zod';
import { stepFunctionsExecutions, stepFunctionsStarter, type ClusterExecutions, type ExecutionStarter } from '../../shared/aws/step-functions';
import { clustersSelected } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import type { ClusterConfig, FailoverConfig } from '../../shared/config/schema';
import { isScheduledEvent } from '../../shared/scheduled';
import { nameSchema } from '../../shared/config/schema';
import { sleep } from '../../shared/time';
import { alarmPrefix, clusterRecordStore, leaseStore } from '../../shared/workflow/environment';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Passes one scheduled invocation makes, PASS_INTERVAL_SECONDS apart: the schedule's rate
 * (rate(1 minute), EventBridge's shortest) alone would leave a repair or a stranded alarm up to a
 * minute after its dependency answers again; three passes bound that to about 20 s, within the
 * function's 55 s timeout. @default 3
 */
export const PASSES_PER_INVOCATION = 3;
/** Seconds between the passes of one invocation. @default 20 */
export const PASS_INTERVAL_SECONDS = 20;

/**
 * The schedule's own event: every cluster, PASSES_PER_INVOCATION passes. An explicit request
 * (tests, drills, operators): one cluster or all, one pass unless it asks for more.
 */
export const convergeDnsInput = z.preprocess(
  (event) => (isScheduledEvent(event) ? { passes: PASSES_PER_INVOCATION } : event),
  z.strictObject({ cluster: nameSchema.optional(), passes: z.number().int().min(1).max(PASSES_PER_INVOCATION).default(1) }),
);

/** One cluster's pass: what was repaired, what is still pending, and the stranded alarm's verdict. */
export interface ClusterConvergence extends PublishedConvergence {
  cluster: string;
  failover: Omit<RestartOutcome, 'receipt'>;
  /** Receipts or metrics that could not be recorded (the repairs stand). */
  errors: string[];
}

const convergeCluster = async (config: FailoverConfig, cluster: ClusterConfig, deps: ConvergeDeps): Promise<ClusterConvergence> => {
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

export interface ConvergeDeps {
  start: ExecutionStarter;
  executions: ClusterExecutions;
  /** Waits between passes; false ends the invocation early (a local runner stopping). @default sleep */
  pause?: (ms: number) => Promise<boolean>;
}

/**
 * Scheduled, once a minute (PASSES_PER_INVOCATION passes): keeps the cluster's promises between
 * incidents. Every DATABASE_URL and the cluster record are brought to the writer the cluster
 * record names (under the lease and the record's generation: finishing what a failover could not
 * write, SSM or Route 53), and a failover alarm still in ALARM with nothing handling it starts a
 * new incident once nothing holds it back. Returns the last pass's result and how many ran.
 */
export const makeConvergeDns =
  (deps: ConvergeDeps) =>
  async (input: { cluster?: string; passes?: number }): Promise<{ clusters: ClusterConvergence[]; passes: number }> => {
    const pause = deps.pause ?? (async (ms: number) => (await sleep(ms), true));
    const started = Date.now();
    let clusters: ClusterConvergence[] = [];
    let passes = 0;
    for (let pass = 0; pass < (input.passes ?? 1); pass += 1) {
      // Each pass at its slot; a pass that ran late never pushes the next past the invocation's end.
      if (pass > 0 && !(await pause(Math.max(0, started + pass * PASS_INTERVAL_SECONDS * 1000 - Date.now())))) break;
      if (Date.now() - started > (pass * PASS_INTERVAL_SECONDS + 5) * 1000) break;
      const config = loadConfig();
      clusters = await Promise.all(clustersSelected(config, input.cluster).map((cluster) => convergeCluster(config, cluster, deps)));
      passes += 1;
    }
    return { clusters, passes };
  };

export const convergeDns = makeConvergeDns({ start: stepFunctionsStarter, executions: stepFunctionsExecutions });
export const handler = lambda('convergeDns', convergeDns, { input: convergeDnsInput });
