import { regionsWithoutArbiter } from '../decisions/arbiter';
import { stackDeploymentProblems } from './stack-deployment';
import type { ClusterConfig, FailoverConfig, TlsConfig } from './schema';
import {
  EXECUTION_TIMEOUT_SECONDS,
  FUNCTION_TIMEOUT_SECONDS,
  REJOIN_STREAMING_CHECK_SECONDS,
  REJOIN_TIMEOUT_SECONDS,
  RETRY_BACKOFF_SECONDS,
  STEP_OVERHEAD_SECONDS,
  TASK_TIMEOUT_SECONDS as TASK,
} from '../workflow/timeouts';

/**
 * Knob combinations that cannot work together: a wait longer than the function that waits, re-checks
 * that outlast the lease, a whole failover longer than the execution may run. Each message names
 * both sides and the limit.
 */
const timingProblems = (cluster: ClusterConfig, at: string): string[] => {
  const p = cluster.policy;
  const problems: string[] = [];
  const fits = (knob: string, value: number, fn: keyof typeof FUNCTION_TIMEOUT_SECONDS) => {
    const limit = FUNCTION_TIMEOUT_SECONDS[fn] - STEP_OVERHEAD_SECONDS;
    if (value > limit) {
      problems.push(`${at}.policy.${knob}: ${value} s does not fit in the ${fn} function's timeout (${FUNCTION_TIMEOUT_SECONDS[fn]} s, of which ${STEP_OVERHEAD_SECONDS} s are kept for its calls): at most ${limit}`);
    }
  };
  fits('fenceTimeoutSeconds', p.fenceTimeoutSeconds, 'fencePrimary');
  fits('promoteTimeoutSeconds', p.promoteTimeoutSeconds, 'promoteCandidate');
  fits('dnsSyncTimeoutSeconds', p.dnsSyncTimeoutSeconds, 'repointDns');
  fits('followTimeoutSeconds', p.followTimeoutSeconds, 'repointFollowers');
  problems.push(...leaseProblems(cluster, at));
  const confirming = p.recheckDeadlineSeconds + (p.rechecks + 1) * p.recheckAfterSeconds;
  // The Repoint state's branches run side by side: the DNS wait counts, the DATABASE_URL rewrite beside it does not.
  const whole = confirming + p.fenceTimeoutSeconds + p.promoteTimeoutSeconds + p.dnsSyncTimeoutSeconds + p.followTimeoutSeconds + 5 * STEP_OVERHEAD_SECONDS;
  if (whole > EXECUTION_TIMEOUT_SECONDS) {
    problems.push(
      `${at}.policy: confirming (${confirming} s) + fenceTimeoutSeconds (${p.fenceTimeoutSeconds}) + promoteTimeoutSeconds (${p.promoteTimeoutSeconds}) + dnsSyncTimeoutSeconds (${p.dnsSyncTimeoutSeconds}) + followTimeoutSeconds (${p.followTimeoutSeconds}) + ${5 * STEP_OVERHEAD_SECONDS} s for the steps' calls = ${whole} s exceeds the failover execution's timeout (${EXECUTION_TIMEOUT_SECONDS} s)`,
    );
  }
  return problems;
};

/**
 * Every stretch that runs under one assertion of the lease (from taking or extending it to the next
 * extension), at its worst: the waits its knobs allow, each Task's timeout (the longest one attempt
 * runs) and the backoff before a retry. A lease shorter than one of them could expire while that
 * stretch still acts, and another holder act beside it.
 */
export const leaseStretches = (p: ClusterConfig['policy']): Array<{ what: string; seconds: number; sum: string }> => {
  const check = TASK.ConfirmOutage;
  const repoint = Math.max(TASK.RewriteDatabaseUrl, TASK.RepointDns, TASK.RepointFollowers);
  return [
    {
      what: 'confirming the outage and choosing the candidate (nothing extends the lease before the fence)',
      seconds: p.recheckDeadlineSeconds + (p.rechecks + 1) * (p.recheckAfterSeconds + check) + TASK.SelectCandidate,
      sum: `recheckDeadlineSeconds (${p.recheckDeadlineSeconds}) + (rechecks (${p.rechecks}) + 1) × (recheckAfterSeconds (${p.recheckAfterSeconds}) + ConfirmOutage's ${check} s) + SelectCandidate's ${TASK.SelectCandidate} s`,
    },
    { what: 'the fence', seconds: TASK.FencePrimary + RETRY_BACKOFF_SECONDS, sum: `FencePrimary's ${TASK.FencePrimary} s (it holds fenceTimeoutSeconds, ${p.fenceTimeoutSeconds}) + ${RETRY_BACKOFF_SECONDS} s of retry backoff` },
    { what: 'the promotion', seconds: TASK.PromoteCandidate + RETRY_BACKOFF_SECONDS, sum: `PromoteCandidate's ${TASK.PromoteCandidate} s (it holds promoteTimeoutSeconds, ${p.promoteTimeoutSeconds}) + ${RETRY_BACKOFF_SECONDS} s of retry backoff` },
    {
      what: 'the repoint, the receipt and the release',
      seconds: repoint + RETRY_BACKOFF_SECONDS + TASK.PublishReceipt + TASK.ReleaseLease,
      sum: `the longest Repoint branch's ${repoint} s (dnsSyncTimeoutSeconds ${p.dnsSyncTimeoutSeconds}, followTimeoutSeconds ${p.followTimeoutSeconds}) + ${RETRY_BACKOFF_SECONDS} s of retry backoff + PublishReceipt's ${TASK.PublishReceipt} s + ReleaseLease's ${TASK.ReleaseLease} s`,
    },
    { what: 'a switchover step (its catch-up, cascade and repoint all run in one invocation)', seconds: FUNCTION_TIMEOUT_SECONDS.switchover, sum: `the switchover function's ${FUNCTION_TIMEOUT_SECONDS.switchover} s` },
    {
      what: "the rejoin's command and streaming check",
      seconds: REJOIN_TIMEOUT_SECONDS + REJOIN_STREAMING_CHECK_SECONDS,
      sum: `the rejoin document's ${REJOIN_TIMEOUT_SECONDS} s + the streaming check's ${REJOIN_STREAMING_CHECK_SECONDS} s`,
    },
  ];
};

/** `leaseSeconds` must exceed every stretch that runs under one assertion of the lease. */
const leaseProblems = (cluster: ClusterConfig, at: string): string[] =>
  leaseStretches(cluster.policy)
    .filter((stretch) => stretch.seconds >= cluster.policy.leaseSeconds)
    .map(
      (stretch) =>
        `${at}.policy.leaseSeconds: ${cluster.policy.leaseSeconds} s must exceed ${stretch.what}: ${stretch.sum} = ${stretch.seconds} s; the lease could expire while it still acts (at least ${stretch.seconds + 1})`,
    );

const duplicates = (values: string[]): string[] =>
  [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];

/** A CA bundle only means something when the certificate is verified, and it comes from one place. */
const tlsProblems = (tls: TlsConfig, at: string): string[] => {
  const problems: string[] = [];
  if (tls.caFile !== undefined && tls.caParameter !== undefined) problems.push(`${at}: set caFile or caParameter, not both`);
  const verifies = tls.sslmode === 'verify-ca' || tls.sslmode === 'verify-full';
  if (!verifies && (tls.caFile !== undefined || tls.caParameter !== undefined || tls.serverName !== undefined)) {
    problems.push(`${at}: caFile, caParameter and serverName need sslmode verify-ca or verify-full (got "${tls.sslmode}")`);
  }
  if (tls.caFile?.split('/').includes('..')) problems.push(`${at}.caFile: must stay inside the service ("..")`);
  return problems;
};

/**
 * The control plane must survive the loss of any one region wherever the writer is: every node's
 * region (a standby may become the writer) leaves a control region outside it. With more than one
 * control region the stacks share one store (deployment.writerLease), so the failover lease decides
 * between them. allowControlRegionWithPrimary lets a one-region test account share a node's region.
 */
const placementProblems = (config: FailoverConfig): string[] => {
  const problems: string[] = [];
  for (const dup of duplicates(config.controlRegions)) problems.push(`controlRegions: ${dup} is listed more than once`);
  if (!config.controlRegions.includes(config.controlRegion)) {
    problems.push(`controlRegion: ${config.controlRegion} is not one of controlRegions (${config.controlRegions.join(', ')})`);
  }
  if (config.controlRegions.length > 1 && !config.deployment.writerLease) {
    problems.push(
      `controlRegions: ${config.controlRegions.length} control regions need deployment.writerLease: the stacks decide who acts through the failover lease in one store they all read with strong consistency (a regional table per stack would let two stacks fail over one cluster at once)`,
    );
  }
  if (!config.allowControlRegionWithPrimary) {
    for (const { region, nodes } of regionsWithoutArbiter(config)) {
      problems.push(
        `controlRegions: no control region outside ${region}, where ${nodes.join(', ')} ${nodes.length === 1 ? 'is' : 'are'}: once the writer is there, an outage of ${region} takes the control plane down with it. Add a control region outside it (allowControlRegionWithPrimary: true only for a single-region test account)`,
      );
    }
  }
  return problems;
};

/** The region sets in which DynamoDB offers multi-Region strong consistency (DynamoDB documentation, 2026). */
export const STRONG_CONSISTENCY_REGION_SETS: readonly (readonly string[])[] = [
  ['us-east-1', 'us-east-2', 'us-west-2'],
  ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
];

/** The writer-lease store: three distinct regions of one supported set, every control region a replica. */
const writerLeaseProblems = (config: FailoverConfig): string[] => {
  const store = config.deployment.writerLease;
  if (!store) return [];
  const regions = [...store.replicaRegions, store.witnessRegion];
  const problems: string[] = [];
  if (new Set(regions).size !== 3) problems.push(`deployment.writerLease: the two replicaRegions and the witnessRegion must be three different regions (got ${regions.join(', ')})`);
  if (!STRONG_CONSISTENCY_REGION_SETS.some((set) => regions.every((r) => set.includes(r)))) {
    problems.push(
      `deployment.writerLease: ${regions.join(', ')} are not all in one region set that supports multi-Region strong consistency (${STRONG_CONSISTENCY_REGION_SETS.map((set) => set.join('/')).join('; ')})`,
    );
  }
  for (const control of config.controlRegions.filter((r) => !store.replicaRegions.includes(r))) {
    problems.push(`deployment.writerLease.replicaRegions: must include the control region ${control} (each stack reads and writes the store through its own region's replica; the witness region serves no reads)`);
  }
  return problems;
};

/**
 * The witness is a third vantage point: in the control region it sees what the control plane sees;
 * in a node's region it shares that region's fate once the writer is there (after a failover).
 */
const witnessProblems = (config: FailoverConfig): string[] => {
  const witness = config.witnessRegion;
  if (witness === undefined) {
    return config.allowCrossRegionWithoutWitness
      ? []
      : ['witnessRegion: not set: a cross-region promotion needs a witness outside the control region and every node\'s region (set witnessRegion, or allowCrossRegionWithoutWitness: true to promote across regions on the control plane\'s view alone, which a partition between the control region and the primary\'s fools)'];
  }
  const problems: string[] = [];
  if (config.controlRegions.includes(witness)) problems.push(`witnessRegion: must differ from every control region (${witness} is one): a witness beside the control plane sees through the same network and adds no vantage point`);
  config.clusters.forEach((cluster, index) => {
    for (const node of cluster.nodes.filter((n) => n.region === witness)) {
      problems.push(
        `witnessRegion: must differ from every node's region (clusters[${index}] ${cluster.name}: ${node.name} is in ${witness}); ${node.role === 'primary' ? 'the witness would fail with the writer it judges' : `after a failover to ${node.name} the witness would share the writer's region`}`,
      );
    }
  });
  return problems;
};

const clusterProblems = (cluster: ClusterConfig, at: string): string[] => {
  const problems: string[] = [];
  const primaries = cluster.nodes.filter((node) => node.role === 'primary');
  if (primaries.length !== 1) {
    problems.push(`${at}.nodes: expected exactly one node with role "primary" (got ${primaries.length})`);
  }
  const names = [...cluster.nodes.map((node) => node.name), ...cluster.subscribers.map((sub) => sub.name)];
  for (const dup of duplicates(names)) problems.push(`${at}.nodes: node name "${dup}" is used more than once`);
  for (const dup of duplicates(cluster.nodes.map((node) => node.instanceId))) {
    problems.push(`${at}.nodes: instanceId "${dup}" is used more than once`);
  }
  for (const dup of duplicates(cluster.databaseUrlParameters.map((p) => `${p.region} ${p.name}`))) {
    problems.push(`${at}.databaseUrlParameters: "${dup}" is listed more than once`);
  }
  for (const knob of ['datapointsToAlarm', 'notifyDatapointsToAlarm'] as const) {
    if ((cluster.alarms[knob] ?? 0) > cluster.alarms.evaluationPeriods) {
      problems.push(`${at}.alarms.${knob}: must not exceed evaluationPeriods (${cluster.alarms[knob]} > ${cluster.alarms.evaluationPeriods})`);
    }
  }
  const endpoints: Array<[string, TlsConfig | undefined]> = [
    [`${at}.tls`, cluster.tls],
    ...cluster.nodes.map((node, i): [string, TlsConfig | undefined] => [`${at}.nodes[${i}].tls`, node.tls]),
    ...cluster.subscribers.map((sub, i): [string, TlsConfig | undefined] => [`${at}.subscribers[${i}].tls`, sub.tls]),
  ];
  for (const [where, tls] of endpoints) if (tls) problems.push(...tlsProblems(tls, where));
  problems.push(...timingProblems(cluster, at));
  const { sampleIntervalSeconds, samplesPerInvocation } = cluster.monitor;
  if (sampleIntervalSeconds * (samplesPerInvocation - 1) > 50) {
    problems.push(
      `${at}.monitor: samplesPerInvocation × sampleIntervalSeconds must fit in one minute's invocation (at most 50 s between first and last sample)`,
    );
  }
  problems.push(...synchronousProblems(cluster, at));
  return problems;
};

/**
 * Synchronous replication that cannot keep its promise: strict with no standby in the primary's
 * region blocks every commit from the start (a cross-region standby is never named synchronous), and
 * the managed modes act on the monitor's samples, so a loss is seen at most one sample late: a sample
 * interval longer than `syncLossSeconds` doubles the stall the knob promises.
 */
const synchronousProblems = (cluster: ClusterConfig, at: string): string[] => {
  const { synchronousMode, syncLossSeconds } = cluster.policy;
  if (synchronousMode === 'off') return [];
  const problems: string[] = [];
  const primary = cluster.nodes.find((node) => node.role === 'primary');
  if (synchronousMode === 'strict' && primary && !cluster.nodes.some((node) => node.role !== 'primary' && node.region === primary.region)) {
    problems.push(`${at}.policy.synchronousMode: "strict" needs a standby in the primary's region (${primary.region}); with none every commit would wait for good. Use "on" or "off"`);
  }
  if (cluster.monitor.sampleIntervalSeconds > syncLossSeconds) {
    problems.push(
      `${at}.policy.syncLossSeconds: ${syncLossSeconds} s is shorter than monitor.sampleIntervalSeconds (${cluster.monitor.sampleIntervalSeconds} s): a lost synchronous standby is judged on each sample, so commits could stall up to twice syncLossSeconds. Raise syncLossSeconds or sample more often`,
    );
  }
  return problems;
};

/**
 * Rules a schema cannot express: one primary, unique names, alarm arithmetic, TLS consistency, the
 * control plane outside every node's region. Returns messages with paths.
 */
export const semanticProblems = (config: FailoverConfig): string[] => {
  const problems = config.clusters.flatMap((cluster, index) => clusterProblems(cluster, `clusters[${index}]`));
  problems.push(...placementProblems(config));
  problems.push(...writerLeaseProblems(config));
  problems.push(...witnessProblems(config));
  problems.push(...stackDeploymentProblems(config));
  for (const dup of duplicates(config.clusters.map((cluster) => cluster.name))) {
    problems.push(`clusters: cluster name "${dup}" is used more than once`);
  }
  return problems;
};
