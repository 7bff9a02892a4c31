import type { ClusterConfig, FailoverConfig } from './schema';
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
  const confirming = p.recheckDeadlineSeconds + (p.rechecks + 1) * p.recheckAfterSeconds;
  if (confirming >= p.leaseSeconds) {
    problems.push(
      `${at}.policy.recheckDeadlineSeconds + (rechecks + 1) × recheckAfterSeconds = ${p.recheckDeadlineSeconds} + ${p.rechecks + 1} × ${p.recheckAfterSeconds} = ${confirming} s must be below policy.leaseSeconds (${p.leaseSeconds} s): the lease would expire while the outage is still being confirmed`,
    );
  }
  const whole = confirming + p.fenceTimeoutSeconds + p.promoteTimeoutSeconds + p.dnsSyncTimeoutSeconds + 4 * STEP_OVERHEAD_SECONDS;
  if (whole > EXECUTION_TIMEOUT_SECONDS) {
    problems.push(
      `${at}.policy: confirming (${confirming} s) + fenceTimeoutSeconds (${p.fenceTimeoutSeconds}) + promoteTimeoutSeconds (${p.promoteTimeoutSeconds}) + dnsSyncTimeoutSeconds (${p.dnsSyncTimeoutSeconds}) + ${4 * STEP_OVERHEAD_SECONDS} s for the steps' calls = ${whole} s exceeds the failover execution's timeout (${EXECUTION_TIMEOUT_SECONDS} s)`,
    );
  }
  return problems;
};

const duplicates = (values: string[]): string[] =>
  [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];

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
  if (cluster.alarms.datapointsToAlarm > cluster.alarms.evaluationPeriods) {
    problems.push(
      `${at}.alarms.datapointsToAlarm: must not exceed evaluationPeriods (${cluster.alarms.datapointsToAlarm} > ${cluster.alarms.evaluationPeriods})`,
    );
  }
  problems.push(...timingProblems(cluster, at));
  const { sampleIntervalSeconds, samplesPerInvocation } = cluster.monitor;
  if (sampleIntervalSeconds * (samplesPerInvocation - 1) > 50) {
    problems.push(
      `${at}.monitor: samplesPerInvocation × sampleIntervalSeconds must fit in one minute's invocation (at most 50 s between first and last sample)`,
    );
  }
  return problems;
};

/** Rules a schema cannot express: one primary, unique names, alarm arithmetic. Returns messages with paths. */
export const semanticProblems = (config: FailoverConfig): string[] => {
  const problems = config.clusters.flatMap((cluster, index) => clusterProblems(cluster, `clusters[${index}]`));
  for (const dup of duplicates(config.clusters.map((cluster) => cluster.name))) {
    problems.push(`clusters: cluster name "${dup}" is used more than once`);
  }
  return problems;
};
