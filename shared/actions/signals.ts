import type { EC2Client } from '@aws-sdk/client-ec2';
import { cloudWatchClient } from '../aws/clients/cloudwatch';
import { ec2Client } from '../aws/clients/ec2';
import { instanceHealth } from '../aws/ec2';
import { isUnreachableAwsError } from '../aws/errors';
import { readWriterHistory } from '../aws/metric-history';
import type { NodeConfig } from '../config/schema';
import { isInRecovery, receiverMessageAge } from '../postgres/failover-sql';
import { classifyProbeFailure, sqlStateOf } from '../postgres/probe-error';
import { STARTING_UP_CAUSE } from '../decisions/starting-up';
import type { ClusterContext } from '../config/cluster-context';
import { judgeReceivers } from '../decisions/confirm-outage';
import { withReusedFailoverSession } from './failover-connection';
import type { ReceiverView, Signal } from '../decisions/types';
import { DatabaseUnreachableError } from '../errors';

/** SQLSTATE 57P03: the server is starting up, shutting down, or in recovery without hot standby. */
const CANNOT_CONNECT_NOW = '57P03';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The cloud's view: instance state and status checks. A regional API that does not answer at all
 * is evidence of a regional outage; an API that answers with an error (access denied, an unknown
 * instance, a throttle) is not: that signal is "unknown". `ec2`: the caller's own client (the
 * witness looks through its region's network).
 */
export const ec2Signal = async ({ cluster }: ClusterContext, primary: NodeConfig, ec2: EC2Client = ec2Client(primary.region)): Promise<Signal> => {
  try {
    const health = await instanceHealth(ec2, primary.instanceId);
    const running = health.state === 'running';
    const impaired = health.systemStatus === 'impaired' || health.instanceStatus === 'impaired';
    return {
      name: 'ec2',
      down: !running || impaired,
      cause: !running ? `instance-${health.state}` : impaired ? 'impaired' : 'running',
      instanceDown: !running || impaired,
      detail: `instance ${primary.instanceId} is ${health.state}, status checks ${health.systemStatus}/${health.instanceStatus}`,
    };
  } catch (error) {
    if (isUnreachableAwsError(error)) {
      return { name: 'ec2', down: true, cause: 'api-unreachable', regionUnreachable: true, detail: `EC2 API in ${primary.region} did not answer for ${cluster.name}: ${message(error)}` };
    }
    return { name: 'ec2', down: null, cause: 'api-error', detail: `EC2 API in ${primary.region} answered with an error (not evidence of an outage): ${message(error)}` };
  }
};

/**
 * A direct probe of the primary with short timeouts. Writable means alive: a veto. So does an error
 * reply (pg_hba rejection, bad password, too many clients): a server that replies is alive. "Cannot
 * connect now" (57P03) vetoes too, with its own cause: for how long is the confirmation's to judge.
 * Refused, timed out or cut: down, with which one in the reason. A probe that could not be made
 * (the password unreadable) is "unknown".
 */
export const databaseSignal = async (context: ClusterContext, primary: NodeConfig): Promise<Signal> => {
  try {
    const inRecovery = await withReusedFailoverSession(context, primary, isInRecovery);
    return inRecovery
      ? { name: 'database', down: true, cause: 'in-recovery', detail: `${primary.name} answers but is in recovery (not a writer)` }
      : { name: 'database', down: false, cause: 'writable', detail: `${primary.name} accepts connections and is writable` };
  } catch (error) {
    const failure = classifyProbeFailure(error);
    if (failure === 'error-reply' && sqlStateOf(error) === CANNOT_CONNECT_NOW) {
      // Alive for now; how long it may answer only this is judged across the re-checks (judgeStartingUp).
      return { name: 'database', down: false, cause: STARTING_UP_CAUSE, detail: `${primary.name} answers only "cannot connect now" (57P03: starting up, shutting down or not accepting connections): ${message(error)}` };
    }
    if (failure === 'error-reply') {
      return { name: 'database', down: false, cause: failure, detail: `${primary.name} answers with an error, so it is alive: ${message(error)}` };
    }
    if (failure === 'unknown' || !(error instanceof DatabaseUnreachableError || (error as Error).name === 'DatabaseUnreachableError')) {
      return { name: 'database', down: null, cause: 'unknown', detail: `${primary.name} could not be probed: ${message(error)}` };
    }
    return { name: 'database', down: true, cause: failure, detail: `${primary.name} does not answer (${failure}): ${message(error)}` };
  }
};

/** One standby's receiver, as the control plane sees it (never throws). */
const receiverView = async (context: ClusterContext, primary: NodeConfig, node: NodeConfig): Promise<ReceiverView> => {
  const sameRegion = node.region === primary.region;
  try {
    const age = await withReusedFailoverSession(context, node, receiverMessageAge);
    return { node: node.name, sameRegion, reachable: true, lastMessageAgeSeconds: age };
  } catch (error) {
    return { node: node.name, sameRegion, reachable: false, lastMessageAgeSeconds: null, detail: message(error) };
  }
};

/** The standbys' view: has any WAL receiver heard from the primary within `receiverStaleSeconds`? */
export const standbysSignal = async (context: ClusterContext, primary: NodeConfig): Promise<Signal> => {
  const standbys = context.cluster.nodes.filter((n) => n.name !== primary.name);
  const views = await Promise.all(standbys.map((node) => receiverView(context, primary, node)));
  return judgeReceivers(views, context.cluster.policy.receiverStaleSeconds);
};

/**
 * Every outage signal about `primary`, observed at once (the failover's check and the plan's).
 * `metrics` is the metrics signal when the caller started it earlier (it does not depend on the primary).
 */
export const gatherSignals = (context: ClusterContext, primary: NodeConfig, metrics: Promise<Signal> = metricsSignal(context)): Promise<Signal[]> =>
  Promise.all([ec2Signal(context, primary), databaseSignal(context, primary), standbysSignal(context, primary), metrics]);

/** How stale the primary's own metrics are: a monitor that last saw it long ago. */
export const metricsSignal = async ({ config, cluster }: ClusterContext): Promise<Signal> => {
  try {
    const history = await readWriterHistory(cloudWatchClient(config.controlRegion), config.namespace, cluster.name, 15, Date.now(), { positions: false });
    if (history.lastReachableAt === null) return { name: 'metrics', down: true, cause: 'no-data', detail: 'no reachable-writer data point in 15 minutes' };
    const age = (Date.now() - history.lastReachableAt) / 1000;
    return {
      name: 'metrics',
      down: age > cluster.policy.metricStaleSeconds,
      cause: age > cluster.policy.metricStaleSeconds ? 'stale' : 'fresh',
      detail: `writer last seen reachable ${age.toFixed(0)} s ago (stale after ${cluster.policy.metricStaleSeconds} s)`,
    };
  } catch (error) {
    return { name: 'metrics', down: null, cause: 'unavailable', detail: `metrics unavailable: ${message(error)}` };
  }
};
