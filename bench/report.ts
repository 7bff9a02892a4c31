import { table, verdict, type Cell } from './markdown';
import { coldStartSection, detectionSection, drillSection, overheadSection, scaleSection } from './report-sections';
import type { BenchResult, SectionRun } from './result';
import type { ScenarioDistribution } from './drill-rto';

/** "Well under" the naive bundle, and "at least halves" its load time: at most half of it. */
export const NAIVE_TARGET_RATIO = 0.5;

const below = (value: number | null | undefined, limit: number, inclusive = true): boolean | null =>
  value === null || value === undefined ? null : inclusive ? value <= limit : value < limit;

/** RTO goal of a failover drill's median, seconds. */
export const RTO_TARGET_SECONDS = 30;
/** Promotion → last DATABASE_URL written, seconds, whatever Route 53 does. */
export const DATABASE_URL_TARGET_SECONDS = 1;

/** A dependency answering again → the convergence finished what it held back, seconds (issue 22). */
export const CONVERGENCE_TARGET_SECONDS = 60;

/** The longest time without a commit after the synchronous standby's loss, seconds (issue 22). */
export const COMMIT_GAP_TARGET_SECONDS = 15;

/** Issue 21: never two writers in a partition, no promotion nor refused write when only the control region is cut off. Pure. */
export const issue21Rows = (groups: ScenarioDistribution[]): Cell[][] => {
  const rows: Cell[][] = [];
  for (const scenario of ['control-partition', 'region-isolated'] as const) {
    const g = groups.find((x) => x.scenario === scenario && x.probeRounds !== undefined);
    if (!g) continue;
    const split = g.probeSplitRounds;
    rows.push([`probe rounds with two writers, \`${scenario}\` (${g.runs} runs, a round every 200 ms)`, '0', `${split ?? '–'} of ${g.probeRounds}`, verdict(g.runs > 0 && split !== null && split !== undefined ? split === 0 : null)]);
  }
  const partition = groups.find((x) => x.scenario === 'control-partition' && x.probeRounds !== undefined);
  if (partition) {
    rows.push([`promotions in \`control-partition\` (${partition.runs} runs)`, '0', `${partition.promotions ?? '–'} of ${partition.runs}`, verdict(partition.runs > 0 && partition.promotions === 0)]);
    const failed = partition.appWriteFailures;
    rows.push([
      `writes refused by the healthy primary during a control-region partition (most in one of ${partition.runs} runs)`,
      '0 after the partition starts',
      `${failed?.max ?? '–'}`,
      verdict(failed ? failed.max === 0 : null),
    ]);
  }
  return rows;
};

/** Issue 22: the commit gap after the synchronous standby's loss, and new writers left without one. Pure. */
export const issue22Rows = (groups: ScenarioDistribution[]): Cell[][] => {
  const rows: Cell[][] = [];
  const loss = groups.find((x) => x.scenario === 'sync-standby-loss' && x.commitGapSeconds !== undefined);
  if (loss) {
    const gap = loss.commitGapSeconds?.max;
    rows.push([`longest time without a commit after the synchronous standby's loss (\`on\`), slowest of ${loss.runs}`, `≤ ${COMMIT_GAP_TARGET_SECONDS} s`, `${gap ?? '–'} s`, verdict(below(gap, COMMIT_GAP_TARGET_SECONDS))]);
  }
  // A sequence's per-leg rows come from the same runs (bench/run.ts): counted once, from its first leg.
  const promoting = groups.filter((x) => x.synchronousChecked !== undefined && x.scenario !== 'sync-standby-loss' && (x.promotions ?? 0) > 0 && !/, leg (?!1\b)\d+/.test(x.label ?? ''));
  if (promoting.length > 0) {
    const checked = promoting.reduce((sum, g) => sum + (g.synchronousChecked ?? 0), 0);
    const left = promoting.reduce((sum, g) => sum + (g.synchronousLeftWithout ?? 0), 0);
    const runs = promoting.map((g) => `${g.scenario} ${g.promotions}`).join(', ');
    rows.push([
      `new writers left without a synchronous standby while an in-region standby streams (60 s after it is seen streaming; new writers: ${runs})`,
      'none',
      `${left} of ${checked} with an in-region standby streaming`,
      verdict(checked > 0 ? left === 0 : null),
    ]);
  }
  return rows;
};

/**
 * Issue 23: each region loss of `double-region` (rows per leg, bench/run.ts), its slowest RTO through
 * DATABASE_URL against the 30 s goal. Pure.
 */
export const issue23Rows = (groups: ScenarioDistribution[]): Cell[][] =>
  groups
    .filter((g) => g.scenario === 'double-region' && / leg \d/.test(g.label ?? ''))
    .map((g) => [
      `${(g.label ?? '').replace(/^double-region \([^)]*\), /, 'double-region ')}: RTO through DATABASE_URL, slowest of ${g.runs} (median ${g.rtoSeconds?.median ?? '–'} s)`,
      `≤ ${RTO_TARGET_SECONDS} s`,
      `${g.rtoSeconds?.max ?? '–'} s`,
      verdict(below(g.rtoSeconds?.max, RTO_TARGET_SECONDS)),
    ]);

/** The drills' goal rows, then each group's pass count. Pure. */
const drillRows = (groups: ScenarioDistribution[]): Cell[][] => {
  const rows: Cell[][] = [];
  const labelled = (label: string) => groups.find((g) => (g.label ?? g.scenario) === label);
  for (const label of ['region-outage', 'primary-crash']) {
    const g = labelled(label);
    if (g) rows.push([`${label} RTO through DATABASE_URL, median of ${g.runs}`, `≤ ${RTO_TARGET_SECONDS} s`, `${g.rtoSeconds?.median ?? '–'} s`, verdict(below(g.rtoSeconds?.median, RTO_TARGET_SECONDS))]);
  }
  const pending = groups.find((g) => g.scenario === 'region-outage' && (g.label ?? '').includes('PENDING'));
  if (pending) {
    const slowest = pending.promotionToDatabaseUrlSeconds?.max;
    rows.push([`promotion → last DATABASE_URL written, ${pending.label?.replace('region-outage, ', '')} (slowest of ${pending.runs})`, `≤ ${DATABASE_URL_TARGET_SECONDS} s`, `${slowest ?? '–'} s`, verdict(below(slowest, DATABASE_URL_TARGET_SECONDS))]);
  }
  const down = groups.find((g) => g.scenario === 'dns-down');
  if (down) rows.push(['failovers that end FAILED when Route 53 is down', 'none', `${down.workflowsFailed ?? '–'} of ${down.runs}`, verdict(down.runs > 0 && down.workflowsFailed === 0)]);
  for (const g of groups.filter((x) => x.scenario === 'primary-stall' || x.scenario === 'monitor-path-loss')) {
    rows.push([`promotions from ${g.label} (alarm fired in ${g.alarms ?? '–'})`, '0', `${g.promotions ?? '–'} of ${g.runs}`, verdict(g.runs > 0 && g.promotions === 0)]);
  }
  for (const [scenario, what] of [
    ['ssm-region-down', 'SSM answering again → every DATABASE_URL on the new writer'],
    ['dependency-blip', 'DynamoDB blip over → failover started, alarm still in ALARM'],
  ] as const) {
    const g = groups.find((x) => x.scenario === scenario);
    const slowest = g?.convergenceSeconds?.max;
    if (g) rows.push([`${what} (slowest of ${g.runs})`, `≤ ${CONVERGENCE_TARGET_SECONDS} s`, `${slowest ?? '–'} s`, verdict(below(slowest, CONVERGENCE_TARGET_SECONDS))]);
  }
  rows.push(...issue21Rows(groups), ...issue22Rows(groups), ...issue23Rows(groups));
  for (const g of groups) rows.push([`drill ${g.label ?? g.scenario}: runs passed`, 'all pass', `${g.passed}/${g.runs}`, verdict(g.runs > 0 && g.passed === g.runs)]);
  return rows;
};

/** The one-table summary: each figure against its target. Pure. */
export const summaryRows = (r: BenchResult): Cell[][] => {
  const rows: Cell[][] = [];
  const o = r.overhead?.result;
  if (o) rows.push(['failover overhead: state machine / floor (median)', `< ${o.target}`, o.ratio, verdict(below(o.ratio, o.target, false))]);
  if (o?.movedRatio) rows.push(['  the same, until the last DATABASE_URL is written', '(no target)', o.movedRatio, '–']);
  const d = r.detection?.result;
  const defaults = d?.rules[0];
  if (d && defaults) {
    rows.push([`detection at defaults (${defaults.datapointsToAlarm} of ${defaults.evaluationPeriods}), median`, `≤ ${d.target} s`, `${defaults.detectionSeconds.median} s`, verdict(below(defaults.detectionSeconds.median, d.target))]);
    rows.push([`detection at defaults, worst case (bound)`, `≤ ${d.target} s`, `${defaults.boundSeconds} s`, verdict(below(defaults.boundSeconds, d.target))]);
  }
  const c = r.coldStart?.result;
  if (c) {
    const extra = c.functions.filter((f) => f.unusedClients.length > 0).map((f) => f.name);
    rows.push(['functions bundling an SDK client their role does not use', '0', extra.length === 0 ? '0' : `${extra.length} (${extra.join(', ')})`, verdict(extra.length === 0)]);
    rows.push(['largest function bundle / naive bundle (deflated)', `≤ ${NAIVE_TARGET_RATIO}`, c.largestSizeRatio, verdict(below(c.largestSizeRatio, NAIVE_TARGET_RATIO))]);
    rows.push(['slowest function load / naive load', `≤ ${NAIVE_TARGET_RATIO}`, c.slowestLoadRatio, verdict(below(c.slowestLoadRatio, NAIVE_TARGET_RATIO))]);
  }
  const s = r.monitorScale?.result;
  if (s && s.length > 1) {
    const first = s[0]!;
    const last = s.at(-1)!;
    const flatConnections = s.every((p) => p.connectionsOpened === 3 * p.clusters);
    rows.push([`monitor: connections per cluster, ${first.clusters} → ${last.clusters} clusters`, 'flat', flatConnections ? '3 → 3' : 'grows', verdict(flatConnections)]);
    rows.push([`monitor: round ms per cluster, ${first.clusters} → ${last.clusters} clusters`, 'flat', `${first.roundMsPerCluster} → ${last.roundMsPerCluster}`, '(see section 4)']);
  }
  const dr = r.drills?.result;
  if (dr?.status === 'measured') rows.push(...drillRows(dr.scenarios));
  return rows;
};

const section = <T>(title: string, run: SectionRun<T> | undefined, body: (result: T) => string[]): string[] => [
  `## ${title}`,
  '',
  ...(run
    ? [`_${run.durationSeconds} s; 1-minute load average ${run.loadBefore} before, ${run.loadAfter} after._`, '', ...body(run.result)]
    : ['Not run (`npm run bench -- --only=…` left it out).']),
  '',
];

/** Every number with binary noise removed (a result written before medians were cleaned). Pure. */
export const cleanNumbers = <T>(value: T): T =>
  JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)) as T;

/** docs/benchmarks.md from a run's result. Pure. */
export const renderReport = (result: BenchResult): string => renderClean(cleanNumbers(result));

const renderClean = (r: BenchResult): string =>
  [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` on ${r.date.slice(0, 10)} (${r.date}) in ${r.durationSeconds} s, on ${r.machine.cores} cores ` +
      `(${r.machine.cpu}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.platform}). The numbers are in ` +
      '`docs/benchmarks.json`. Ratios are measured within one run; absolute times depend on the machine and on what else ran on it ' +
      '(the load averages below), and on the AWS emulator, which answers one request at a time.',
    '',
    table(['figure', 'target', 'measured', 'met'], summaryRows(r)),
    '',
    ...section('1. Failover overhead against its floor', r.overhead, (x) => overheadSection(x, r.baseline.overhead)),
    ...section('2. Detection: primary stop → failover alarm', r.detection, detectionSection),
    ...section('3. Cold start and bundle size', r.coldStart, (x) => coldStartSection(x, r.baseline.coldStart)),
    ...section('4. Monitor scale', r.monitorScale, scaleSection),
    ...section('5. End-to-end RTO and RPO (drills)', r.drills, drillSection),
    `_Before_ columns: ${r.baseline.description}`,
    '',
  ].join('\n');
