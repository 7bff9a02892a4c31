import { EXAMPLE_CONFIG_FILE } from '../shared/config/load';
import type { ClusterConfig } from '../shared/config/schema';
import type { Receipt } from '../shared/decisions/receipt';
import type { DrillLeg, DrillReport } from './drill-report';
import type { Availability } from './app-client';
import { outcomeOf } from './expectations';
import type { DrillRunState } from './run-state';
import { bytesText, durationText as secondsText, lossText } from './figures';

/** What the drill runs faster than the deployment, said plainly in every report. */
export const shortenedKnobs = (cluster: ClusterConfig, sampleIntervalMs: number): string[] => [
  `monitor schedule: invocations back to back instead of once a minute (${cluster.monitor.samplesPerInvocation} samples each, as configured)`,
  `monitor sampleIntervalSeconds: ${sampleIntervalMs / 1000} s instead of ${cluster.monitor.sampleIntervalSeconds} s`,
  'alarm evaluation: every second, by the local evaluator, over complete periods (CloudWatch evaluates on its own schedule)',
];

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

const total = (values: Array<number | null>): number | null => (values.every((v) => v === null) ? null : values.reduce<number>((sum, v) => sum + (v ?? 0), 0));

/** A sequence's RPO: rows and receipt estimates summed over the legs (each leg's own in `legs[]`). Pure. */
export const sumRpo = (legs: DrillLeg[]): DrillReport['rpo'] => ({
  ackedRowsLost: legs.some((l) => l.rpo.ackedRowsLost === null) ? null : total(legs.map((l) => l.rpo.ackedRowsLost)),
  ackedRows: legs.reduce((sum, l) => sum + l.rpo.ackedRows, 0),
  receiptBytes: total(legs.map((l) => l.rpo.receiptBytes)),
  receiptSeconds: legs.map((l) => l.rpo.receiptSeconds).reduce<number | null>((max, v) => (v === null ? max : Math.max(max ?? 0, v)), null),
  receiptUpperBoundBytes: total(legs.map((l) => l.rpo.receiptUpperBoundBytes)),
});

/** Builds the report from whatever the run got to. */
export const assembleReport = ({ run, app, problems, shortened }: { run: DrillRunState; app: Availability; problems: string[]; shortened: string[] }): DrillReport => {
  const { progress, drill, endState, alarm, cast } = run;
  const receipt = run.receipt as Partial<Receipt> | null;
  const since = (at: number | null) => (at === null ? null : progress.sinceStart(at));
  const { outcome, promoted } = endState && cast ? outcomeOf(endState.writers, cast.primary.name) : { outcome: 'not-promoted' as const, promoted: null };
  const appSummary = run.app;
  const rpo = {
    ackedRowsLost: run.ackedRowsLost,
    ackedRows: run.writer?.acked.length ?? 0,
    receiptBytes: orNull(receipt?.dataLoss?.bytes),
    receiptSeconds: orNull(receipt?.dataLoss?.seconds ?? undefined),
    receiptUpperBoundBytes: orNull(receipt?.dataLoss?.upperBoundBytes ?? undefined),
  };
  // A single fault is one leg: the same figures as the top level.
  const single: DrillLeg = {
    name: run.scenario.name,
    action: run.expected?.description ?? '',
    alarmDriven: run.alarm !== undefined && run.detectedAt !== null,
    expected: { writer: run.expected?.promoted ?? cast?.primary.name ?? '', description: run.expected?.description ?? '' },
    writerBefore: cast?.primary.name ?? '',
    writerAfter: endState?.writers.length === 1 ? endState.writers[0]! : null,
    writerTimeline: endState?.nodes.find((n) => n.observed === 'writable')?.timeline ?? null,
    startMs: 0,
    endMs: progress.sinceStart(),
    faultAtMs: since(run.faultAt),
    detectionMs: run.detectedAt !== null && run.faultAt !== null ? run.detectedAt - run.faultAt : null,
    rtoMs: app.rtoMs,
    appDowntimeMs: app.downtimeMs,
    dnsRtoMs: run.dnsRtoMs,
    rpo,
    fenced: receipt?.fencing?.fenced ? receipt.fencing.node : null,
    reasons: run.reasons,
    problems,
    timeline: progress.timeline,
    nodes: endState?.nodes ?? [],
  };
  return {
    scenario: run.scenario.name,
    cluster: drill?.cluster.name ?? run.options.cluster ?? '',
    config: run.options.configFile ?? EXAMPLE_CONFIG_FILE,
    startedAt: new Date(progress.startedAt).toISOString(),
    durationMs: progress.sinceStart(),
    passed: problems.length === 0 && endState !== undefined,
    expected: run.expected
      ? { outcome: run.expected.outcome, promoted: run.expected.promoted, description: run.expected.description }
      : { outcome: 'not-promoted', promoted: null, description: 'unknown: the drill stopped before the stack was up' },
    problems: problems.length === 0 && endState === undefined ? ['the drill did not get to verify the end state'] : problems,
    outcome,
    promoted,
    reasons: run.reasons,
    timeline: progress.timeline,
    faultAtMs: since(run.faultAt),
    detectionMs: run.detectedAt !== null && run.faultAt !== null ? run.detectedAt - run.faultAt : null,
    rtoMs: app.rtoMs,
    appDowntimeMs: app.downtimeMs,
    dnsRtoMs: run.dnsRtoMs,
    dnsModel: {
      pendingMs: drill?.faults.route53.pendingMs ?? 0,
      ttlSeconds: drill?.cluster.route53.ttl ?? 0,
      pending: receipt?.dnsPending ?? null,
    },
    rpo: run.legs ? sumRpo(run.legs) : rpo,
    dns: endState?.dns ?? { record: drill?.cluster.route53.recordName ?? '', target: null },
    ssm: endState?.ssm ?? [],
    oldPrimaryFenced: endState?.oldPrimaryFenced ?? false,
    nodes: endState?.nodes ?? [],
    legs: run.legs ?? [single],
    probe: run.probe ?? null,
    commitGapMs: run.commitGapMs ?? null,
    synchronousAfter: run.synchronousAfter ?? null,
    app: {
      parameter: appSummary?.parameter ?? { region: '', name: '' },
      writes: appSummary?.attempts.filter((a) => a.ok).length ?? 0,
      failures: appSummary?.attempts.filter((a) => !a.ok).length ?? 0,
      urlReads: appSummary?.urlReads ?? 0,
      interrupted: app.interrupted,
      recovered: app.recovered,
      lastError: appSummary?.lastError ?? null,
    },
    alarm: {
      name: alarm?.alarmName ?? '',
      metric: alarm?.metricName ?? '',
      statistic: alarm?.statistic ?? '',
      threshold: alarm?.threshold ?? 0,
      comparison: alarm?.comparison ?? '',
      periodSeconds: alarm?.periodSeconds ?? 0,
      evaluationPeriods: alarm?.evaluationPeriods ?? 0,
      datapointsToAlarm: alarm?.datapointsToAlarm ?? 0,
      treatMissingData: alarm?.treatMissingData ?? '',
      transitions: (run.watch?.transitions ?? []).map((t) => ({ atMs: progress.sinceStart(t.at.getTime()), from: t.from, to: t.to, reason: t.reason })),
    },
    shortened,
    series: run.series ?? { primaryReachable: [], lag: [], rpoSeconds: drill?.cluster.policy.rpoSeconds ?? 0, maxLagBytes: drill?.cluster.policy.maxLagBytes ?? 0 },
    convergence: run.convergence ? { ...run.convergence, backAtMs: progress.sinceStart(run.convergence.backAtMs) } : null,
    receipt: run.receipt,
    kept: run.kept,
    error: run.error,
  };
};


const legLine = (leg: DrillLeg, index: number): string =>
  `  leg ${index + 1}         ${leg.name}: ${leg.problems.length === 0 ? 'held' : 'FAILED'}; ${leg.writerBefore} → ${leg.writerAfter ?? 'no single writer'} (timeline ${leg.writerTimeline ?? '?'})` +
  `${leg.detectionMs !== null ? `, detection ${secondsText(leg.detectionMs)}` : ''}${leg.rtoMs !== null ? `, RTO ${secondsText(leg.rtoMs)}` : ''}` +
  `, ${leg.rpo.ackedRowsLost ?? 'n/a'} of ${leg.rpo.ackedRows} acknowledged rows lost${leg.rpo.receiptUpperBoundBytes !== null ? ` (bound ${bytesText(leg.rpo.receiptUpperBoundBytes)})` : ''}${leg.fenced ? `, ${leg.fenced} fenced` : ''}`;

const convergenceLine = (c: NonNullable<DrillReport['convergence']>): string =>
  `  convergence   ${c.dependency} answered at ${secondsText(c.backAtMs)}` +
  `${c.urlsOnWriterMs !== null ? `; every DATABASE_URL on the writer ${secondsText(c.urlsOnWriterMs)} later` : ''}` +
  `${c.failoverStartedMs !== null ? `; failover started ${secondsText(c.failoverStartedMs)} later (by the ${c.startedBy ?? '?'})` : ''}` +
  ` (goal ${secondsText(c.goalMs)}; ${c.invocations} scheduled invocation(s), rate(1 minute))`;

/** The human-readable summary printed at the end of a drill. Pure. */
export const summaryText = (report: DrillReport): string => {
  const lines = [
    '',
    `drill ${report.scenario} on ${report.cluster}: ${report.passed ? 'PASSED' : 'FAILED'} (${secondsText(report.durationMs)})`,
    `  expected      ${report.expected.description}`,
    `  outcome       ${report.outcome}${report.promoted ? `: ${report.promoted}` : ''}`,
    `  detection     ${secondsText(report.detectionMs)} (fault → alarm ${report.alarm.name || 'n/a'})`,
    `  RTO           ${secondsText(report.rtoMs)} (fault → first application write through DATABASE_URL from SSM)`,
    `  RTO via DNS   ${secondsText(report.dnsRtoMs)} (fault → record INSYNC on Route 53 + TTL ${report.dnsModel.ttlSeconds} s; Route 53 PENDING modelled for ${secondsText(report.dnsModel.pendingMs)})`,
    ...(report.dnsModel.pending ? [`  DNS pending   ${report.dnsModel.pending.replace(/^DNS pending: /, '')}`] : []),
    `  app downtime  ${secondsText(report.appDowntimeMs)} (${report.app.writes} writes, ${report.app.failures} failed, DATABASE_URL read ${report.app.urlReads}×)`,
    `  RPO           ${report.rpo.ackedRowsLost ?? 'n/a'} of ${report.rpo.ackedRows} acknowledged rows lost; receipt ${lossText(report.rpo.receiptBytes, report.rpo.receiptSeconds)} behind (upper bound ${bytesText(report.rpo.receiptUpperBoundBytes)})`,
    `  DNS           ${report.dns.record} → ${report.dns.target ?? 'none'}`,
    ...report.ssm.map((p) => `  SSM           ${p.name} (${p.region}) → ${p.host}:${p.port}`),
    `  old primary   ${report.oldPrimaryFenced ? 'fenced (instance stopped, PostgreSQL down)' : 'not fenced'}`,
    `  nodes         ${report.nodes.map((n) => `${n.name} ${n.observed}${n.timeline !== null ? ` (timeline ${n.timeline}${n.upstream ? `, from ${n.upstream}` : ''})` : ''}`).join(', ')}`,
    ...(report.legs.length > 1 ? report.legs.map(legLine) : []),
    ...(report.convergence ? [convergenceLine(report.convergence)] : []),
    ...(report.probe ? [`  probe         ${report.probe.rounds} rounds, at most ${report.probe.maxWriters} writer(s) in one, ${report.probe.splitRounds ?? '?'} with two or more`] : []),
    ...(report.commitGapMs !== null && report.commitGapMs !== undefined ? [`  commit gap    ${secondsText(report.commitGapMs)} at most without a commit after the synchronous standby's loss`] : []),
    ...(report.synchronousAfter
      ? [`  synchronous   ${report.synchronousAfter.writer}: ${report.synchronousAfter.recorded ?? 'none'} recorded ${secondsText(report.synchronousAfter.checkedAtMs)} after the fault (${report.synchronousAfter.inRegionStreaming.join(', ')} streaming in its region)`]
      : []),
    ...report.reasons.map((r) => `  reason        ${r}`),
    ...report.problems.map((p) => `  PROBLEM       ${p}`),
  ];
  if (report.kept) {
    lines.push(`  kept stack    emulator ${report.kept.emulatorEndpoint}; PGFO_CONFIG_FILE=${report.kept.configFile}`);
    lines.push(...report.kept.nodes.map((n) => `                ${n.cluster}/${n.node} ${n.host}:${n.port} user ${n.user}, password: ${n.passwordSource}`));
    lines.push(...report.kept.superuser.map((s) => `                ${s}`));
    lines.push('                npm run drill -- --down tears it down');
  }
  return lines.join('\n');
};
