import '../local/polyfills';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emulatorEnv, startEmulator } from '../local/emulator';
import { PROJECT_ROOT } from './bundles';
import { measureColdStart } from './cold-start';
import { measureDetection } from './detection';
import { measureDrills, type DrillGroup, type DrillResult } from './drill-rto';
import { BLIP_SECONDS, TRANSIENT_FAULT_SECONDS } from '../drill/scenarios';
import { alarmSchema } from '../shared/config/schema';
import { measureOverhead } from './failover-overhead';
import { measureMonitorScale } from './monitor-scale';
import { progress } from './progress';
import { cleanNumbers, renderReport } from './report';
import { load, machine, type Baseline, type BenchResult, type SectionRun } from './result';
import { parseBenchArgs, USAGE, type BenchOptions, type RowSet, type Section } from './options';
import { UsageError } from '../shared/command-line';

/**
 * `npm run bench`: every section in one run, then docs/benchmarks.json and docs/benchmarks.md.
 * `--only=overhead,coldstart,scale,detection,drills` runs some sections and prints their JSON
 * instead of writing the docs; `--runs=N`, `--drill-runs=N` and `--drill-concurrency=N` change
 * the counts (for quick checks); `--render` rewrites the markdown from the JSON.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL ??= 'silent';

/** Route 53 PENDING for the "promotion → last DATABASE_URL" figure (the 30 s). */
const DNS_PENDING_FIGURE_MS = 30_000;

/**
 * The drills' rows: RTO at the defaults and the drill's modelled AWS timings; the DATABASE_URL
 * rewrite with Route 53 PENDING 30 s and with the Route 53 API down; and twice as many trials of
 * the two transient faults that must promote nothing, their start spread over one alarm period.
 */
export const drillGroups = (runs: number): DrillGroup[] => {
  const few = Math.max(2, Math.ceil(runs / 2));
  const periodMs = alarmSchema.parse({}).periodSeconds * 1000;
  return [
    { label: 'primary-crash', scenario: 'primary-crash', runs },
    { label: 'region-outage', scenario: 'region-outage', runs },
    { label: `region-outage, Route 53 PENDING ${DNS_PENDING_FIGURE_MS / 1000} s`, scenario: 'region-outage', runs: few, dnsPendingMs: DNS_PENDING_FIGURE_MS },
    { label: 'dns-down (Route 53 API fails for good)', scenario: 'dns-down', runs: few },
    { label: `primary-stall (${TRANSIENT_FAULT_SECONDS} s)`, scenario: 'primary-stall', runs: 2 * runs, spreadOverPeriodMs: periodMs },
    { label: `monitor-path-loss (${TRANSIENT_FAULT_SECONDS} s)`, scenario: 'monitor-path-loss', runs: 2 * runs, spreadOverPeriodMs: periodMs },
    ...convergenceGroups(few),
  ];
};

/** The convergence's rows (issue 22): SSM answering → every DATABASE_URL on the writer; DynamoDB's blip over → failover started. */
export const convergenceGroups = (runs: number): DrillGroup[] => [
  { label: 'ssm-region-down (SSM in the DR region refuses during the failover)', scenario: 'ssm-region-down', runs },
  { label: `dependency-blip (DynamoDB fails ${BLIP_SECONDS} s as the alarm fires)`, scenario: 'dependency-blip', runs },
];

/**
 * Issue 21's rows: the partitions that must never make two writers (`control-partition` must not
 * promote nor refuse the healthy primary's writes; `region-isolated` must), and the region
 * outage's RTO. Issue 22's: the commit gap after the synchronous standby's loss, and new writers
 * left without a synchronous standby while an in-region standby streams from them. Issue 23's: each
 * region loss of `double-region` (the primary's region; the DR's with its control plane), a row each.
 */
export const rowGroups = (set: RowSet, partitionRuns: number, runs: number): DrillGroup[] =>
  set === 'issue22-writers'
    ? rowGroups('issue22', partitionRuns, runs).filter((g) => g.scenario === 'switchover')
    : set === 'issue23'
    ? [{ label: 'double-region (a control plane per control region; RTO of each region loss)', scenario: 'double-region', runs, legs: [1, 4] }]
    : set === 'issue21'
    ? [
        { label: 'control-partition (the control region loses every path into the primary’s region)', scenario: 'control-partition', runs: partitionRuns },
        { label: 'region-isolated (the primary’s region cut off from both others, its hosts running)', scenario: 'region-isolated', runs: partitionRuns },
        { label: 'region-outage', scenario: 'region-outage', runs },
      ]
    : [
        { label: 'sync-standby-loss (the synchronous standby’s instance stops under commits)', scenario: 'sync-standby-loss', runs },
        { label: 'primary-crash (the new writer’s synchronous standby checked)', scenario: 'primary-crash', runs },
        { label: 'switchover (planned, to the in-region standby)', scenario: 'switchover', runs },
      ];

/**
 * `--convergence-rows` and `--rows`: only these rows, measured now and merged into
 * docs/benchmarks.json (each row says when and how it was measured, replacing a row of the same
 * label), then the markdown rendered.
 */
const mergeRows = async (groups: DrillGroup[], command: string, concurrency: number) => {
  const docs = join(PROJECT_ROOT, 'docs');
  const file = join(docs, 'benchmarks.json');
  const read = () => {
    const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
    const section = result.drills?.result;
    if (section?.status !== 'measured') throw new Error('docs/benchmarks.json has no measured drills section to add the rows to: run the whole bench');
    return { result, section };
  };
  read();
  const emulator = await startEmulator();
  Object.assign(process.env, emulatorEnv(emulator.endpoint));
  const started = Date.now();
  let measured: DrillResult;
  try {
    measured = await measureDrills(groups, concurrency);
  } finally {
    await emulator.stop();
  }
  const minutes = Math.round((Date.now() - started) / 60_000);
  const note = (runs: number) =>
    `${new Date().toISOString().slice(0, 10)}, apart from the other rows (npm run bench -- ${command}): ${runs} runs, ${concurrency} at a time, ${minutes} min for the ${groups.length} rows, 1-min load ${load()} after`;
  const rows = measured.scenarios.map((row) => ({ ...row, measured: note(row.runs) }));
  // Read again: another merge may have written the file meanwhile.
  const { result, section } = read();
  section.scenarios = [...section.scenarios.filter((row) => !rows.some((r) => r.label === row.label)), ...rows];
  writeFileSync(file, `${JSON.stringify(cleanNumbers(result), null, 2)}\n`);
  writeFileSync(join(docs, 'benchmarks.md'), renderReport(result));
  progress(`merged ${groups.map((g) => g.label).join('; ')} into docs/benchmarks.json and rendered docs/benchmarks.md`);
};

const wanted = (options: BenchOptions, section: Section) => options.only.length === 0 || options.only.includes(section);

const timed = async <T>(name: string, measure: () => Promise<T>): Promise<SectionRun<T>> => {
  progress(`${name}: start`);
  const started = Date.now();
  const loadBefore = load();
  const result = await measure();
  const durationSeconds = Math.round((Date.now() - started) / 1000);
  progress(`${name}: done in ${durationSeconds} s`);
  return { durationSeconds, loadBefore, loadAfter: load(), result };
};

/** `--render`: docs/benchmarks.md again from docs/benchmarks.json, without measuring (after a change to the report's layout). */
const render = () => {
  const docs = join(PROJECT_ROOT, 'docs');
  const result = JSON.parse(readFileSync(join(docs, 'benchmarks.json'), 'utf8')) as BenchResult;
  writeFileSync(join(docs, 'benchmarks.md'), renderReport(result));
  progress('rendered docs/benchmarks.md from docs/benchmarks.json');
};

const main = async () => {
  const options = parseBenchArgs(process.argv.slice(2));
  if (options.command === 'help') return void process.stdout.write(`${USAGE}\n`);
  if (options.command === 'render') return render();
  if (options.command === 'convergence-rows') return mergeRows(convergenceGroups(options.drillRuns), '--convergence-rows', options.drillConcurrency);
  if (options.command === 'rows') {
    const groups = options.rows.flatMap((set) => rowGroups(set, options.partitionRuns, options.drillRuns));
    return mergeRows(groups, `--rows ${options.rows.join(',')}`, options.drillConcurrency);
  }
  const started = Date.now();
  const baseline = JSON.parse(readFileSync(join(__dirname, 'baseline.json'), 'utf8')) as Baseline;
  const emulator = await startEmulator();
  Object.assign(process.env, emulatorEnv(emulator.endpoint));
  const result: BenchResult = { date: new Date().toISOString(), machine: machine(), durationSeconds: 0, baseline };
  try {
    if (wanted(options, 'overhead')) result.overhead = await timed('failover overhead', () => measureOverhead(options.runs));
    if (wanted(options, 'coldstart')) result.coldStart = await timed('cold start', () => measureColdStart(5));
    if (wanted(options, 'scale')) result.monitorScale = await timed('monitor scale', () => measureMonitorScale([1, 10, 50], 6, 1000));
    if (wanted(options, 'detection')) result.detection = await timed('detection', () => measureDetection(6));
    if (wanted(options, 'drills')) {
      result.drills = await timed('drills', () => measureDrills(drillGroups(options.drillRuns), options.drillConcurrency));
    }
  } finally {
    await emulator.stop();
  }
  result.durationSeconds = Math.round((Date.now() - started) / 1000);
  if (options.only.length > 0) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const docs = join(PROJECT_ROOT, 'docs');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'benchmarks.json'), `${JSON.stringify(cleanNumbers(result), null, 2)}\n`);
  writeFileSync(join(docs, 'benchmarks.md'), renderReport(result));
  progress(`wrote docs/benchmarks.json and docs/benchmarks.md (${result.durationSeconds} s)`);
};

main().catch((error) => {
  if (error instanceof UsageError) {
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
