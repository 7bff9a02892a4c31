import { cloudWatchClient } from '../aws/clients/cloudwatch';
import { ec2Client } from '../aws/clients/ec2';
import { instanceHealth } from '../aws/ec2';
import { readWriterHistory } from '../aws/metric-history';
import type { NodeConfig } from '../config/schema';
import { isInRecovery } from '../postgres/failover-sql';
import type { ClusterContext } from '../config/cluster-context';
import { withReusedFailoverSession } from './failover-connection';
import type { Signal } from '../decisions/types';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The cloud's view: instance state and status checks. An API that does not answer is evidence too. */
export const ec2Signal = async ({ cluster }: ClusterContext, primary: NodeConfig): Promise<Signal> => {
  try {
    const health = await instanceHealth(ec2Client(primary.region), primary.instanceId);
    const running = health.state === 'running';
    const impaired = health.systemStatus === 'impaired' || health.instanceStatus === 'impaired';
    return {
      name: 'ec2',
      down: !running || impaired,
      detail: `instance ${primary.instanceId} is ${health.state}, status checks ${health.systemStatus}/${health.instanceStatus}`,
    };
  } catch (error) {
    return { name: 'ec2', down: true, regionUnreachable: true, detail: `EC2 API in ${primary.region} did not answer for ${cluster.name}: ${message(error)}` };
  }
};

/** A direct probe of the primary with short timeouts. Writable means alive: a veto. */
export const databaseSignal = async (context: ClusterContext, primary: NodeConfig): Promise<Signal> => {
  try {
    const inRecovery = await withReusedFailoverSession(context, primary, isInRecovery);
    return inRecovery
      ? { name: 'database', down: true, detail: `${primary.name} answers but is in recovery (not a writer)` }
      : { name: 'database', down: false, detail: `${primary.name} accepts connections and is writable` };
  } catch (error) {
    return { name: 'database', down: true, detail: `${primary.name} does not answer: ${message(error)}` };
  }
};

/** The standbys' view: is any WAL receiver still streaming from the primary? */
export const standbysSignal = async (context: ClusterContext, primary: NodeConfig): Promise<Signal> => {
  const standbys = context.cluster.nodes.filter((n) => n.name !== primary.name);
  const views = await Promise.all(
    standbys.map(async (node) => {
      try {
        const streaming = await withReusedFailoverSession(context, node, async (client) => {
          const { rows } = await client.query<{ status: string }>(`SELECT status FROM pg_stat_wal_receiver`);
          return rows[0]?.status === 'streaming';
        });
        return { node: node.name, reachable: true, streaming };
      } catch {
        return { node: node.name, reachable: false, streaming: false };
      }
    }),
  );
  const reachable = views.filter((v) => v.reachable);
  const streaming = reachable.filter((v) => v.streaming).map((v) => v.node);
  if (reachable.length === 0) return { name: 'standbys', down: null, detail: 'no standby answers' };
  if (streaming.length > 0) return { name: 'standbys', down: false, detail: `${streaming.join(', ')} still stream WAL from the primary` };
  return { name: 'standbys', down: true, detail: `no WAL receiver is streaming (${reachable.map((v) => v.node).join(', ')} answered)` };
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
    if (history.lastReachableAt === null) return { name: 'metrics', down: true, detail: 'no reachable-writer data point in 15 minutes' };
    const age = (Date.now() - history.lastReachableAt) / 1000;
    return {
      name: 'metrics',
      down: age > cluster.policy.metricStaleSeconds,
      detail: `writer last seen reachable ${age.toFixed(0)} s ago (stale after ${cluster.policy.metricStaleSeconds} s)`,
    };
  } catch (error) {
    return { name: 'metrics', down: null, detail: `metrics unavailable: ${message(error)}` };
  }
};
