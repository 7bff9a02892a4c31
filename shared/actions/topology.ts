import type { ClusterConfig, NodeConfig } from '../config/schema';
import { configuredPrimary, nodeNamed, type ClusterContext } from '../config/cluster-context';
import { seedRecord, type ClusterRecord } from '../decisions/cluster-record';
import { decideWriter, failedWriterOf, followersOf, nodeAt, type Follower, type NodeAddress, type NodeTopology, type WriterVerdict } from '../decisions/topology';
import { readTopology, type RawTopology } from '../postgres/topology-sql';
import { clusterRecordStore } from '../workflow/environment';
import { withFailoverConnection, withReusedFailoverSession } from './failover-connection';

/** Every address a node can be reached at: its own, and its cross-region replication endpoints. */
export const nodeAddresses = (cluster: ClusterConfig): NodeAddress[] =>
  cluster.nodes.flatMap((n) => [{ node: n.name, host: n.host, port: n.port }, ...n.replicationEndpoints.map((e) => ({ node: n.name, host: e.host, port: e.port }))]);

/** Where `standby` reaches `writer` for replication: the endpoint for its region, else the writer's address. */
export const replicationAddress = (writer: NodeConfig, standby: NodeConfig): { host: string; port: number } => {
  const endpoint = writer.replicationEndpoints.find((e) => e.region === standby.region);
  return endpoint ? { host: endpoint.host, port: endpoint.port } : { host: writer.host, port: writer.port };
};

const unreachable = (node: string, reason: string): NodeTopology => ({
  node,
  reachable: false,
  reason,
  inRecovery: null,
  readOnly: null,
  timeline: null,
  upstream: null,
  upstreamAddress: null,
  streaming: false,
  receiveLsn: null,
  replayLsn: null,
  currentLsn: null,
});

/**
 * Maps what each node said to configured nodes: a standby's upstream is the node its receiver (or,
 * with none running, its primary_conninfo) points at, or else the writer that lists it among its
 * streaming replicas (an upstream reached through an address the configuration does not name).
 */
export const mapTopology = (cluster: ClusterConfig, raw: Array<{ node: string; seen: RawTopology } | { node: string; reason: string }>): NodeTopology[] => {
  const addresses = nodeAddresses(cluster);
  return raw.map((entry) => {
    if (!('seen' in entry)) return unreachable(entry.node, entry.reason);
    const { seen } = entry;
    const listedBy = raw.find((other) => 'seen' in other && !other.seen.inRecovery && other.seen.replicas.includes(entry.node))?.node ?? null;
    const mapped = seen.inRecovery ? nodeAt(addresses, seen.upstreamHost, seen.upstreamPort) : null;
    const upstream = seen.inRecovery ? (mapped && (seen.upstreamFromReceiver || !listedBy) ? mapped : (listedBy ?? mapped)) : null;
    return {
      node: entry.node,
      reachable: true,
      inRecovery: seen.inRecovery,
      readOnly: seen.readOnly,
      timeline: seen.timeline,
      upstream,
      upstreamAddress: upstream === null && seen.upstreamHost !== null ? `${seen.upstreamHost}:${seen.upstreamPort}` : null,
      streaming: seen.receiverStatus === 'streaming',
      receiveLsn: seen.receiveLsn,
      replayLsn: seen.replayLsn,
      currentLsn: seen.currentLsn,
    };
  });
};

/** How the failover's observations reach the nodes. */
export interface ObserveOptions {
  /**
   * Ask over the failover's kept sessions (withReusedFailoverSession: a kept session that fails is
   * replaced by a fresh connection before a node counts as unreachable). For the failover's own
   * steps; a one-shot process (the CLI) must not keep sessions open. @default false
   */
  reuseSessions?: boolean;
}

/** Asks every node of the cluster (at once) for its role, timeline and upstream. Never throws. */
export const observeNodes = async (context: ClusterContext, options: ObserveOptions = {}): Promise<NodeTopology[]> => {
  const ask = options.reuseSessions ? withReusedFailoverSession : withFailoverConnection;
  const raw = await Promise.all(
    context.cluster.nodes.map(async (node) => {
      try {
        return { node: node.name, seen: await ask(context, node, readTopology) };
      } catch (error) {
        return { node: node.name, reason: (error as Error).message };
      }
    }),
  );
  return mapTopology(context.cluster, raw);
};

export interface ObservedTopology {
  record: ClusterRecord;
  nodes: NodeTopology[];
  verdict: WriterVerdict;
}

/** The cluster's record, or (first use) the seed from the configuration: stored unless `seed` is false. */
export const readRecord = async ({ config, cluster }: ClusterContext, options: { seed?: boolean } = {}): Promise<ClusterRecord> => {
  const store = clusterRecordStore(config);
  const writer = configuredPrimary(cluster).name;
  if (options.seed === false) return (await store.read(cluster.name)) ?? seedRecord(cluster.name, writer, new Date().toISOString());
  return store.readOrSeed(cluster.name, writer);
};

/**
 * The cluster record (seeded from the configuration on first use), every node's view, and the
 * writer verdict. `seed: false` (plan, status) writes nothing: an absent record is seeded in memory.
 */
export const observeTopology = async (context: ClusterContext, options: { seed?: boolean } & ObserveOptions = {}): Promise<ObservedTopology> => {
  const [record, nodes] = await Promise.all([readRecord(context, options), observeNodes(context, options)]);
  return { record, nodes, verdict: decideWriter(record, nodes) };
};

export type FailoverTarget =
  | {
      known: true;
      topology: ObservedTopology;
      /** The writer whose failure is handled (the current writer, or the failed one of an unfinished failover). */
      failed: NodeConfig;
      timeline: number | null;
      /** The node an unfinished failover already promoted. */
      convergeOn: string | null;
      followers: Follower[];
      notes: string[];
    }
  | { known: false; topology: ObservedTopology; reason: string };

/**
 * The writer a failover is about, from the record and the nodes: refused (with the contradiction)
 * when they disagree. Every other node is judged on whether it follows that writer.
 */
export const failoverTarget = async (context: ClusterContext, options: { seed?: boolean } & ObserveOptions = {}): Promise<FailoverTarget> => {
  const topology = await observeTopology(context, options);
  const { verdict, record, nodes } = topology;
  if (!verdict.known) return { known: false, topology, reason: verdict.reason };
  const failed = failedWriterOf(record, verdict.writer);
  const timeline = failed.resuming ? (record.nodes[failed.node]?.timeline ?? null) : verdict.timeline;
  return {
    known: true,
    topology,
    failed: nodeNamed(context.cluster, failed.node),
    timeline,
    convergeOn: failed.resuming ? verdict.writer : null,
    followers: followersOf(record, nodes, failed.node, timeline),
    notes: [...verdict.notes, ...(failed.resuming ? [`resuming the unfinished failover ${record.lastIncident!.execution} (${failed.node} → ${verdict.writer})`] : [])],
  };
};
