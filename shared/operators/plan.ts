import { ec2Client } from '../aws/clients/ec2';
import { instanceState, mayStopInstance } from '../aws/ec2';
import { isUnreachableAwsError } from '../aws/errors';
import { assessCandidates } from '../actions/assess-candidates';
import { clientEndpoint, nodeNamed, type ClusterContext } from '../config/cluster-context';
import { failoverTarget } from '../actions/topology';
import { judgeOutage } from '../decisions/confirm-outage';
import { switchoverReadiness } from '../decisions/failback';
import { publishedTargets } from '../actions/repoint';
import { crossRegionCheck } from '../actions/witness';
import { gatherSignals } from '../actions/signals';
import type { CandidateVerdict, OutageVerdict } from '../decisions/types';

export interface FailoverPlan {
  cluster: string;
  /** What an automatic failover would do right now. */
  wouldFailOver: boolean;
  summary: string;
  /** The writer whose failure the failover would handle (from the cluster record and the nodes). */
  primary: string;
  /** Generation of the cluster record the plan was made from. */
  generation: number;
  outage: OutageVerdict;
  /**
   * The node a failover would promote, or why none. With `--to` and a writer that answers, also the
   * failback readiness: `promote` only if the node streams from the writer on its timeline within
   * the lag cap (what a switchover to it checks first).
   */
  candidate: CandidateVerdict;
  fencing: {
    node: string;
    instanceId: string;
    instanceState: string | null;
    /**
     * StopInstances with DryRun: `permitted`, `refused` (the reason is in `action`) or `unreachable`;
     * `not-checked` when the writer itself is not known.
     */
    stopPermission: 'permitted' | 'refused' | 'unreachable' | 'not-checked';
    action: string;
  };
  dns: { record: string; current: string | null; wouldBecome: string | null };
  databaseUrl: Array<{ region: string; name: string; currentHost: string; currentPort: number; wouldBecome: string | null }>;
}

/**
 * Runs every check the failover would run — signals, candidate choice and lag guard, fencing
 * possibility, DNS and SSM targets — and changes nothing: AWS is only read, and every database
 * session is opened read-only.
 */
export const planFailover = async (context: ClusterContext, requestedNode?: string): Promise<FailoverPlan> => {
  const readOnly: ClusterContext = { ...context, readOnly: true };
  const { cluster } = context;
  if (requestedNode) nodeNamed(cluster, requestedNode, 'to');
  // The writer as the failover would find it (record and nodes); a plan stores nothing, not even a
  // seed. These sessions run one constant SELECT and are not opened read-only: a read-only session
  // would mask the server's own default_transaction_read_only, which tells a demoted primary apart.
  const target = await failoverTarget(context, { seed: false });
  const generation = target.topology.record.generation;
  if (!target.known) return refusedPlan(context, target.reason, target.topology.record.writer, generation);
  const primary = target.failed;
  const signals = await gatherSignals(readOnly, primary);
  // As the last of the checks would judge it: a plan does not wait for re-checks.
  const outage = judgeOutage(signals, cluster.policy.rechecks + 1, cluster.policy);
  // As the confirmation does: with the outage confirmed, the witness gates a cross-region promotion.
  const gate = outage.decision === 'confirmed' && outage.cloudEvidence ? await crossRegionCheck(context, primary) : undefined;
  const { verdict: assessed } = await assessCandidates(readOnly, primary, {
    regionHealthy: outage.regionHealthy,
    crossRegionAllowed: outage.cloudEvidence && gate?.crossRegion.allowed !== false,
    ...(gate && !gate.crossRegion.allowed ? { crossRegionRefusal: gate.crossRegion.reason } : {}),
    acceptDataLoss: false,
    ...(requestedNode ? { requestedNode } : {}),
    followers: target.followers,
    convergeOn: target.convergeOn,
  });
  // With the writer answering, a requested node is ready only if a switchover to it would start
  // (a failback is one): it must prove it streams from the writer on its timeline and has caught up.
  const { verdict, nodes } = target.topology;
  const writerSeen = verdict.known && verdict.observed && target.convergeOn === null ? nodes.find((n) => n.node === primary.name) : undefined;
  const requestedSeen = requestedNode && requestedNode !== primary.name ? nodes.find((n) => n.node === requestedNode) : undefined;
  const readiness = writerSeen && requestedSeen ? switchoverReadiness(writerSeen, requestedSeen, cluster.policy.maxLagBytes) : null;
  const reasons = [...target.notes, ...assessed.reasons, ...(readiness ? [readiness.reason] : [])];
  const candidate: CandidateVerdict =
    readiness && !readiness.ready && assessed.promote ? { promote: false, reason: readiness.reason, reasons } : { ...assessed, reasons };
  const ec2 = ec2Client(primary.region);
  const state = await instanceState(ec2, primary.instanceId).catch(() => null);
  // DryRun proves the permission (tag condition, SCPs included) without stopping anything.
  const permission = await mayStopInstance(ec2, primary.instanceId).then(
    () => ({ stopPermission: 'permitted' as const, detail: '' }),
    (error: Error) => ({ stopPermission: isUnreachableAwsError(error) ? ('unreachable' as const) : ('refused' as const), detail: error.message }),
  );
  const chosen = candidate.promote ? nodeNamed(cluster, candidate.node) : null;
  const targets = await publishedTargets(cluster);
  const mode = cluster.policy.requireFencing;
  const fenceWouldHold =
    mode !== 'never' && !(permission.stopPermission === 'permitted') && !(permission.stopPermission === 'unreachable' && mode === 'unless-region-unreachable');
  const wouldFailOver = outage.decision === 'confirmed' && candidate.promote && !fenceWouldHold;
  const summary = wouldFailOver
    ? `would fail over to ${chosen!.name}`
    : outage.decision !== 'confirmed'
      ? `would not fail over: ${outage.reason}`
      : !candidate.promote
        ? `would not fail over: ${candidate.reason}`
        : `would not fail over: ${primary.name} could not be fenced (${permission.stopPermission}: ${permission.detail}; requireFencing: ${mode})`;
  return {
    cluster: cluster.name,
    wouldFailOver,
    summary,
    primary: primary.name,
    generation,
    outage,
    candidate,
    fencing: {
      node: primary.name,
      instanceId: primary.instanceId,
      instanceState: state,
      stopPermission: permission.stopPermission,
      action:
        permission.stopPermission === 'permitted'
          ? `would tag and stop instance ${primary.instanceId} (now ${state ?? 'unknown'}; StopInstances permitted, DryRun)`
          : permission.stopPermission === 'unreachable'
            ? `EC2 API in ${primary.region} does not answer: fencing could not be proven (requireFencing: ${cluster.policy.requireFencing})`
            : `could not fence instance ${primary.instanceId}: ${permission.detail} (requireFencing: ${cluster.policy.requireFencing})`,
    },
    dns: { record: cluster.route53.recordName, current: targets.record, wouldBecome: chosen?.dnsName ?? null },
    databaseUrl: targets.urls.map((u) => ({
      region: u.region,
      name: u.name,
      currentHost: u.host,
      currentPort: u.port,
      wouldBecome: chosen ? `${clientEndpoint(chosen).host}:${clientEndpoint(chosen).port}` : null,
    })),
  };
};

/** The plan when the record and the nodes contradict each other: nothing would happen, and why. */
const refusedPlan = async (context: ClusterContext, reason: string, writer: string, generation: number): Promise<FailoverPlan> => {
  const { cluster } = context;
  const node = nodeNamed(cluster, writer);
  const targets = await publishedTargets(cluster);
  return {
    cluster: cluster.name,
    wouldFailOver: false,
    summary: `would not fail over: ${reason}`,
    primary: writer,
    generation,
    outage: { decision: 'not-confirmed', attempt: 0, signals: [], regionHealthy: true, cloudEvidence: false, reason },
    candidate: { promote: false, reason, reasons: [reason] },
    fencing: { node: writer, instanceId: node.instanceId, instanceState: null, stopPermission: 'not-checked', action: 'none: the writer is not known' },
    dns: { record: cluster.route53.recordName, current: targets.record, wouldBecome: null },
    databaseUrl: targets.urls.map((u) => ({ region: u.region, name: u.name, currentHost: u.host, currentPort: u.port, wouldBecome: null })),
  };
};
