import type { ClusterConfig, FailoverConfig, TlsConfig } from './schema';
import { EXECUTION_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS, STEP_OVERHEAD_SECONDS } from '../workflow/timeouts';

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
  const confirming = p.recheckDeadlineSeconds + (p.rechecks + 1) * p.recheckAfterSeconds;
  if (confirming >= p.leaseSeconds) {
    problems.push(
      `${at}.policy.recheckDeadlineSeconds + (rechecks + 1) × recheckAfterSeconds = ${p.recheckDeadlineSeconds} + ${p.rechecks + 1} × ${p.recheckAfterSeconds} = ${confirming} s must be below policy.leaseSeconds (${p.leaseSeconds} s): the lease would expire while the outage is still being confirmed`,
    );
  }
  // The Repoint state's branches run side by side: the DNS wait counts, the DATABASE_URL rewrite beside it does not.
  const whole = confirming + p.fenceTimeoutSeconds + p.promoteTimeoutSeconds + p.dnsSyncTimeoutSeconds + p.followTimeoutSeconds + 5 * STEP_OVERHEAD_SECONDS;
  if (whole > EXECUTION_TIMEOUT_SECONDS) {
    problems.push(
      `${at}.policy: confirming (${confirming} s) + fenceTimeoutSeconds (${p.fenceTimeoutSeconds}) + promoteTimeoutSeconds (${p.promoteTimeoutSeconds}) + dnsSyncTimeoutSeconds (${p.dnsSyncTimeoutSeconds}) + followTimeoutSeconds (${p.followTimeoutSeconds}) + ${5 * STEP_OVERHEAD_SECONDS} s for the steps' calls = ${whole} s exceeds the failover execution's timeout (${EXECUTION_TIMEOUT_SECONDS} s)`,
    );
  }
  return problems;
};

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

/** The control plane must survive the loss of every primary's region, unless explicitly allowed. */
const placementProblems = (config: FailoverConfig): string[] =>
  config.allowControlRegionWithPrimary
    ? []
    : config.clusters.flatMap((cluster, index) =>
        cluster.nodes
          .filter((node) => node.role === 'primary' && node.region === config.controlRegion)
          .map(
            (node) =>
              `controlRegion: must differ from the primary's region (clusters[${index}] ${cluster.name}: ${node.name} is in ${node.region}); a control plane in that region fails with it. Set allowControlRegionWithPrimary: true only for a single-region test account`,
          ),
      );

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
 * control plane outside every primary's region. Returns messages with paths.
 */
export const semanticProblems = (config: FailoverConfig): string[] => {
  const problems = config.clusters.flatMap((cluster, index) => clusterProblems(cluster, `clusters[${index}]`));
  problems.push(...placementProblems(config));
  for (const dup of duplicates(config.clusters.map((cluster) => cluster.name))) {
    problems.push(`clusters: cluster name "${dup}" is used more than once`);
  }
  return problems;
};
