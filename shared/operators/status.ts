import { ssmClient } from '../aws/clients/ssm';
import { readSecureString } from '../aws/ssm';
import type { ClusterConfig, FailoverConfig, NodeConfig } from '../config/schema';
import { publishedTargets } from '../actions/repoint';
import { leaseStore } from '../workflow/environment';
import { intentSeen, nodeAtDnsName, nodeAtEndpoint, observed, writerSince } from '../actions/published-facts';
import { describeRepair, planRepairs } from '../decisions/reconcile';
import { ClusterSampler } from '../monitor/sampler';
import { summarise } from '../monitor/snapshot';
import { observeTopology } from '../actions/topology';
import type { ClusterRecord } from '../decisions/cluster-record';
import { describePause } from '../decisions/cluster-record';
import { arbiterView } from '../decisions/arbiter';

export interface NodeStatus {
  name: string;
  configuredRole: NodeConfig['role'];
  /** What the node is now: primary, standby, read-only (a demoted primary) or unreachable. */
  role: 'primary' | 'standby' | 'read-only' | 'unreachable';
  receiverStreaming: boolean | null;
  streamingToWriter: boolean | null;
  synchronous: boolean | null;
  flushLagBytes: number | null;
  replayLagBytes: number | null;
  replayLagSeconds: number | null;
  /** Its timeline (a writer's current one; a standby's newest received). */
  timeline: number | null;
  /** The node it streams from (or is set to), or the address when it is no configured node. */
  upstream: string | null;
  /** The cluster record fenced it, and why. */
  fenced: string | null;
  reason?: string;
}

export interface ClusterStatus {
  cluster: string;
  writer: string | null;
  writers: string[];
  walSenders: number | null;
  nodes: NodeStatus[];
  dns: { record: string; target: string | null; node: string | null; agrees: boolean };
  databaseUrl: Array<{ region: string; name: string; host: string; port: number; node: string | null; agrees: boolean }>;
  /** Everything published points at the one writer, and the record and the nodes agree. */
  consistent: boolean;
  /** The cluster record: who it names the writer, its generation, pause and last incident. */
  record: Pick<ClusterRecord, 'generation' | 'writer' | 'timeline' | 'paused' | 'lastIncident'>;
  /** "paused since …, by …, because …", or null while automatic failover runs. */
  paused: string | null;
  /** Where the record and the nodes contradict each other (empty when they agree). */
  contradictions: string[];
  /**
   * What the convergence has still to repair, and since when: "DATABASE_URL us-west-2 … names
   * primary, writer is standby_dr, pending since T" (empty when everything names the recorded writer;
   * absent from releases before the convergence repaired DATABASE_URL).
   */
  pending?: string[];
  /**
   * Which control-plane stacks arbitrate the cluster now (those outside the recorded writer's
   * region), which stay passive, and which stack answered (absent from releases before issue 23).
   */
  arbiter?: { arbiters: string[]; passive: string[]; writerRegion: string; answeredBy: string; reason: string };
  /** The synchronous standby the record holds for the writer (policy.synchronousMode), null: none recorded. */
  synchronous?: { node: string | null; since: string } | null;
}

/** The status function's answer: every selected cluster, and the release the deployment runs. */
export interface StatusResult {
  /** package.json's version of the deployed code (absent from releases before it was reported). */
  version: string;
  clusters: ClusterStatus[];
}

/** One cluster's state: roles and lag as the nodes report them, and where clients are sent. */
export const clusterStatus = async (config: FailoverConfig, cluster: ClusterConfig): Promise<ClusterStatus> => {
  const read = (name: string) => readSecureString(ssmClient(config.controlRegion), config.controlRegion, name);
  const sampler = new ClusterSampler(cluster, { password: (credential) => read(credential.passwordParameter), readParameter: read });
  const [observation, topology, targets, intent] = await Promise.all([
    sampler.sample().finally(() => sampler.close()),
    // Reads only: an absent record is shown as the seed it would be, not stored.
    observeTopology({ config, cluster }, { seed: false }),
    publishedTargets(cluster),
    observed(leaseStore(config).readDnsIntent(cluster.name).then(intentSeen)),
  ]);
  const snapshot = summarise(observation);
  const { record, verdict } = topology;
  const nodes = cluster.nodes.map((node): NodeStatus => {
    const seen = observation.nodes.find((n) => n.node === node.name)!;
    const standby = snapshot.standbys.find((s) => s.node === node.name);
    const topo = topology.nodes.find((n) => n.node === node.name);
    const role: NodeStatus['role'] = !seen.reachable
      ? 'unreachable'
      : seen.state.inRecovery
        ? 'standby'
        : seen.state.readOnly
          ? 'read-only'
          : 'primary';
    return {
      name: node.name,
      configuredRole: node.role,
      role,
      receiverStreaming: standby && seen.reachable && seen.state.inRecovery ? standby.receiverUp : null,
      streamingToWriter: standby ? standby.streaming : null,
      synchronous: standby ? standby.synchronous : null,
      flushLagBytes: standby?.flushLagBytes ?? null,
      replayLagBytes: standby?.replayLagBytes ?? null,
      replayLagSeconds: standby?.replayLagSeconds ?? null,
      timeline: topo?.timeline ?? null,
      upstream: topo?.upstream ?? topo?.upstreamAddress ?? null,
      fenced: record.fenced[node.name]?.reason ?? null,
      ...(seen.reachable ? {} : { reason: seen.reason }),
    };
  });
  const recordNode = nodeAtDnsName(cluster, targets.record);
  const databaseUrl = targets.urls.map((u) => {
    const node = nodeAtEndpoint(cluster, u.host, u.port);
    return { region: u.region, name: u.name, host: u.host, port: u.port, node, agrees: node !== null && node === snapshot.writer };
  });
  // The convergence's own decision, on what this status read.
  const plan = planRepairs({
    writer: record.writer,
    since: writerSince(record),
    urls: databaseUrl.map((u) => ({ region: u.region, name: u.name, seen: { ok: true as const, value: u } })),
    dns: { ok: true, value: { node: recordNode, target: targets.record } },
    intent,
  });
  const dnsAgrees = recordNode !== null && recordNode === snapshot.writer;
  return {
    cluster: cluster.name,
    writer: snapshot.writer,
    writers: snapshot.writers,
    walSenders: snapshot.walSenders,
    nodes,
    dns: { record: cluster.route53.recordName, target: targets.record, node: recordNode, agrees: dnsAgrees },
    databaseUrl,
    consistent: dnsAgrees && databaseUrl.every((u) => u.agrees) && verdict.known,
    record: {
      generation: record.generation,
      writer: record.writer,
      timeline: record.timeline,
      paused: record.paused,
      lastIncident: record.lastIncident,
    },
    paused: record.paused ? describePause(record.paused) : null,
    contradictions: verdict.known ? [] : verdict.contradictions,
    pending: [...plan.repairs.map(describeRepair), ...plan.unchecked.map((u) => `${u.what}: could not check (${u.reason})`)],
    arbiter: (({ arbiters, passive, writerRegion, stackRegion, reason }) => ({ arbiters, passive, writerRegion, answeredBy: stackRegion, reason }))(
      arbiterView(config, cluster, { node: record.writer, from: 'record' }, config.controlRegion),
    ),
    synchronous: record.synchronous && record.synchronous.writer === record.writer ? { node: record.synchronous.node, since: record.synchronous.since } : null,
  };
};
