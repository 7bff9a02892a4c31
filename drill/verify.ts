import { ec2Client } from '../shared/aws/clients/ec2';
import { route53Client } from '../shared/aws/clients/route53';
import { ssmClient } from '../shared/aws/clients/ssm';
import { instanceState } from '../shared/aws/ec2';
import { readCname } from '../shared/aws/route53';
import { readParameterFresh } from '../shared/aws/ssm';
import type { ClusterConfig } from '../shared/config/schema';
import { databaseUrlTarget } from '../shared/database-url';
import type { DrillReport, ObservedNode, ObservedRole } from './drill-report';
import type { Topology } from '../local/topology';
import { mapTopology } from '../shared/actions/topology';
import { TOPOLOGY_SQL, topologyOf, WAL_TIMELINE_SQL } from '../shared/postgres/topology-sql';

/** Each node's timeline and upstream, from the nodes themselves (superuser, over the socket). */
const observeTimelines = async (cluster: ClusterConfig, topology: Topology) => {
  const raw = await Promise.all(
    cluster.nodes.map(async (node) => {
      try {
        if (!topology.isRunning(node.name)) return { node: node.name, reason: 'not running' };
        const [row] = await topology.query(node.name, TOPOLOGY_SQL);
        const [wal] = row?.in_recovery === true ? await topology.query(node.name, WAL_TIMELINE_SQL) : [];
        return { node: node.name, seen: topologyOf({ ...row, ...wal }) };
      } catch (error) {
        return { node: node.name, reason: (error as Error).message };
      }
    }),
  );
  return mapTopology(cluster, raw);
};

export interface EndState {
  nodes: DrillReport['nodes'];
  /** Nodes that take writes: out of recovery and not read-only. */
  writers: string[];
  dns: DrillReport['dns'];
  ssm: DrillReport['ssm'];
  oldPrimaryFenced: boolean;
  /** The old primary's PostgreSQL does not answer (whatever its instance does). */
  oldPrimaryDown: boolean;
}

const STOPPED = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

/** Asks a node itself, as superuser over its unix socket: nothing the workflow reported is trusted. */
const observeRole = async (topology: Topology, node: string): Promise<ObservedRole> => {
  if (!topology.isRunning(node)) return 'down';
  try {
    const [row] = await topology.query<{ recovery: boolean; ro: string }>(
      node,
      "SELECT pg_is_in_recovery() AS recovery, current_setting('default_transaction_read_only') AS ro",
    );
    if (!row) return 'down';
    return row.recovery ? 'standby' : row.ro === 'on' ? 'read-only' : 'writable';
  } catch {
    return 'down';
  }
};

/**
 * The end state, observed independently of the workflow's receipt: each node's role from the node
 * itself, the Route 53 record, every DATABASE_URL parameter and the EC2 instance states.
 */
export const observeEndState = async (cluster: ClusterConfig, topology: Topology, oldPrimary: string): Promise<EndState> => {
  const timelines = await observeTimelines(cluster, topology);
  const nodes = await Promise.all(
    cluster.nodes.map(async (node) => {
      const seen = timelines.find((t) => t.node === node.name);
      return {
        name: node.name,
        configuredRole: node.role,
        observed: await observeRole(topology, node.name),
        instanceState: await instanceState(ec2Client(node.region), node.instanceId).catch(() => null),
        timeline: seen?.timeline ?? null,
        upstream: seen?.upstream ?? seen?.upstreamAddress ?? null,
      };
    }),
  );
  const ssm = await Promise.all(
    cluster.databaseUrlParameters.map(async ({ region, name }) => {
      const { host, port } = databaseUrlTarget(await readParameterFresh(ssmClient(region), region, name));
      return { region, name, host, port };
    }),
  );
  const target = await readCname(route53Client(), cluster.route53.hostedZoneId, cluster.route53.recordName);
  const old = nodes.find((n) => n.name === oldPrimary);
  return {
    nodes,
    writers: nodes.filter((n) => n.observed === 'writable').map((n) => n.name),
    dns: { record: cluster.route53.recordName, target },
    ssm,
    oldPrimaryFenced: old !== undefined && old.observed === 'down' && STOPPED.has(old.instanceState ?? ''),
    oldPrimaryDown: old !== undefined && old.observed === 'down',
  };
};

/** Standbys in the writer's region observed streaming from it (issue 22: such a writer needs a synchronous standby). Pure. */
export const inRegionStreaming = (members: ReadonlyArray<{ name: string; region: string }>, observed: ReadonlyArray<Pick<ObservedNode, 'name' | 'observed' | 'upstream'>>, writer: string): string[] => {
  const region = members.find((m) => m.name === writer)?.region;
  if (region === undefined) return [];
  return observed.filter((n) => n.name !== writer && n.observed === 'standby' && n.upstream === writer && members.find((m) => m.name === n.name)?.region === region).map((n) => n.name);
};
