import type { ColdStartResult } from './cold-start';
import type { DetectionResult } from './detection';
import type { DrillResult } from './drill-rto';
import type { OverheadResult } from './failover-overhead';
import { kib, percent, table } from './markdown';
import type { ScalePoint } from './monitor-scale';
import type { Baseline } from './result';
import type { Spread } from './stats';
import { alarmSchema, policySchema } from '../shared/config/schema';

/** Markdown for each section of docs/benchmarks.md. Pure: result in, text out. */

/** The defaults a configuration gets when it sets nothing: what the prose describes. */
const DEFAULT_POLICY = policySchema.parse({});
const DEFAULT_ALARM = alarmSchema.parse({});

const range = (s: Spread | null | undefined): string | null => (s ? `${s.min}–${s.max}` : null);
const short = (client: string) => client.replace('@aws-sdk/client-', '');

/**
 * What the target leaves room for at the floor's own price of an AWS call (its calls are answered one
 * at a time by the emulator): the number of calls a state machine could make within target × floor
 * if it did nothing else at all.
 */
export const callBudget = (r: Pick<OverheadResult, 'floorParts' | 'floorMs' | 'target' | 'calls'>): string => {
  const aws = r.floorParts.filter((p) => p.name !== 'promote');
  const perCall = aws.reduce((sum, p) => sum + p.ms, 0) / r.calls.floor.aws;
  if (aws.length === 0 || !(perCall > 0)) return '';
  const budget = Math.floor((r.target * r.floorMs.median) / perCall);
  return (
    `At the floor’s own price of an AWS call here (${perCall.toFixed(1)} ms), ${r.target} × the floor leaves room for at most ${budget} calls ` +
    `and no database work at all; the state machine makes ${r.calls.full.aws}. `
  );
};

const overheadReading = (r: OverheadResult): string => {
  const kind = (name: string) => r.slowestCalls.find((c) => c.name === name);
  const connects = kind('pg connect');
  const aws = r.slowestCalls.filter((c) => /^[A-Z][A-Za-z0-9]*\./.test(c.name)).sort((a, b) => b.count - a.count).slice(0, 3);
  return (
    `Reading: the floor makes ${r.calls.floor.aws} AWS calls and opens ${r.calls.floor.pgConnects} database connection; the state machine makes ` +
    `${r.calls.full.aws} and opens ${r.calls.full.pgConnects}: the lease (pause check, take, release), ${DEFAULT_POLICY.rechecks + 1} confirmation checks ` +
    '(cluster record, EC2 status, metric history, the nodes), the candidates’ positions and the published history, fencing (stop, then ' +
    'describe), the record check, incident and promotion before and after pg_promote, then three branches at once: both DATABASE_URL ' +
    'regions (read, write), the DNS intent, UPSERT, its settlement and GetChange, and re-pointing the followers and recording them; and ' +
    'the receipt (metric, event, history record): safety and accounting steps the floor skips by definition. ' +
    callBudget(r) +
    `The most frequent AWS calls: ${aws.map((c) => `${c.name} ${c.count} (${c.ms} ms summed)`).join(', ') || 'none'}. ` +
    `Database connections: ${connects?.count ?? '–'} (${connects?.ms ?? '–'} ms summed). The failover’s read-only observations (topology, ` +
    'outage signals, candidates’ positions, the catch-up poll) go over kept sessions, so most of those are to the failed writer (refused at ' +
    'once, and asked again on a fresh connection each time so that a kept session never decides it is down) and the fresh sessions the ' +
    'world-changing work opens on purpose (promotion, re-pointing a standby, the new writer’s synchronous_standby_names). Locally every ' +
    'function runs in one process and shares the kept sessions; in AWS each function keeps its own, so a deployed run opens more. ' +
    'The emulator serves one request at a time, so AWS calls the code makes concurrently still queue here and each costs tens of ' +
    'milliseconds on two busy cores; in AWS concurrent calls overlap, and the Route 53 INSYNC wait (immediate here, typically tens of ' +
    'seconds in AWS) dominates both sides. pg_promote(true, …) looks every 100 ms whether recovery ended; the control plane asks without ' +
    'waiting and polls every 10 ms, which is why the ratio to the physical floor is shown too.'
  );
};

export const overheadSection = (r: OverheadResult, before: Baseline['overhead']): string[] => {
  const previous = new Map(before.states.map((s) => [s.name, s.ms]));
  const tasks = r.states.filter((s) => s.ms > 0 || s.awsCalls > 0 || s.pgConnects > 0);
  return [
    table(
      ['side', 'median ms', 'min–max ms', 'AWS calls', 'DB connections', 'DB queries'],
      [
        ['floor: pg_promote(true, 60) + UPSERT/GetChange + 1 PutParameter', r.floorMs.median, range(r.floorMs), r.calls.floor.aws, r.calls.floor.pgConnects, r.calls.floor.pgQueries],
        ['physical floor (floor less pg_promote’s wait after recovery ended)', r.physicalFloorMs.median, range(r.physicalFloorMs), null, null, null],
        ['state machine: alarm event → receipt (waits 0)', r.fullMs.median, range(r.fullMs), r.calls.full.aws, r.calls.full.pgConnects, r.calls.full.pgQueries],
        ...(r.movedMs ? [['of which: receipt start → last DATABASE_URL written (applications can move)', r.movedMs.median, range(r.movedMs), null, null, null]] : []),
      ],
    ),
    '',
    `Ratio (median state machine / median floor): **${r.ratio}** (target < ${r.target}); median of the per-run ratios: ${r.pairedRatio}; ` +
      `against the physical floor: ${r.ratioToPhysicalFloor}. ` +
      (r.movedRatio ? `Until the last DATABASE_URL is written (what the floor ends with; the DNS and followers branches run beside it, the receipt and the lease come after): ${r.movedRatio}. ` : '') +
      `${r.runs} runs each, alternating, fresh topology per run, one warm-up pair discarded; both sides warm (SDK clients used once, ` +
      'configuration loaded, password cached) and talking to the emulator directly. The state machine’s clock starts when the alarm event ' +
      'is delivered to the trigger; the alarm’s change of state, CloudWatch’s work, is made in the emulator before it.',
    '',
    'Where the state machine’s time goes (median per state; calls made in it):',
    '',
    table(
      ['state', 'median ms', 'share', 'AWS calls', 'DB connections', `before (ms, ${before.runs} runs)`],
      [
        ...tasks.map((s) => [s.name, s.ms, percent(s.share), s.awsCalls, s.pgConnects, previous.get(s.name) ?? null]),
        ['(between states: local runner, trigger)', r.betweenStatesMs, percent(r.betweenStatesMs / r.fullMs.median), null, null, null],
      ],
    ),
    '',
    `Floor parts (median ms): ${r.floorParts.map((p) => `${p.name} ${p.ms}`).join(', ')}.`,
    '',
    'The state machine’s outside calls by kind (median per run; calls made at the same time overlap, so these add up to more than the total):',
    '',
    table(
      ['call', 'count', 'summed ms'],
      r.slowestCalls.slice(0, 10).map((c) => [c.name, c.count, c.ms]),
    ),
    '',
    table(
      ['', 'floor median ms', 'state machine median ms', 'ratio'],
      [
        ['before (baseline)', before.floorMedianMs, before.fullMedianMs, before.ratio],
        ['after (this run)', r.floorMs.median, r.fullMs.median, r.ratio],
      ],
    ),
    '',
    overheadReading(r),
  ];
};

const detectionReading = (rules: DetectionResult['rules']): string => {
  const rule = rules[0];
  if (!rule) return '';
  const others = rules.slice(1).map((r) => `${r.label}: median ${r.detectionSeconds.median} s, bound ${r.boundSeconds} s`);
  return (
    `Reading: the default alarm needs ${rule.datapointsToAlarm} of ${rule.evaluationPeriods} ${rule.periodSeconds} s periods without a reachable writer, and ` +
    'the period in which the last good sample fell does not count, so detection is that many periods plus the rest of that period (plus ' +
    `the 1 s settle): ${rule.detectionSeconds.min}–${rule.detectionSeconds.max} s here, at most ${rule.boundSeconds} s. The setting that trades ` +
    'detection against false positives is `alarms.datapointsToAlarm`: each datapoint fewer alarms one period sooner, and lets a stall one ' +
    'sample shorter raise the alarm (M missed samples in N periods: a stall of about (M−1) to M periods). ' +
    `${others.length > 0 ? `Measured on the same data: ${others.join('; ')}. ` : ''}` +
    'Missing data is not breaching for the failover alarm: the monitor publishes PrimaryReachable = 0 when it cannot reach a writer, so a ' +
    'new deployment or a silent monitor does not fire it (the monitor-blind alarm reports a silence). ' +
    `The alarm only starts the workflow, which confirms the outage from four signals on ${DEFAULT_POLICY.rechecks + 1} checks \`policy.recheckAfterSeconds\` (${DEFAULT_POLICY.recheckAfterSeconds} s) apart ` +
    'before acting, so a false alarm costs an execution and a "no-failover" receipt, not a promotion. Sampling faster barely helps ' +
    '(bound = period × datapoints + sampling interval) and 10 s is CloudWatch’s shortest alarm period.'
  );
};

export const detectionSection = (r: DetectionResult): string[] => [
  table(
    ['alarm rule', 'period s', 'M of N', 'sampling s', 'bound s', 'median s', 'min–max s', 'no alarm', `target ≤ ${r.target} s`],
    r.rules.map((rule) => [
      rule.label,
      rule.periodSeconds,
      `${rule.datapointsToAlarm} of ${rule.evaluationPeriods}`,
      rule.sampleIntervalSeconds,
      rule.boundSeconds,
      rule.detectionSeconds.median,
      range(rule.detectionSeconds),
      rule.missed,
      rule.missed === 0 && rule.detectionSeconds.median <= r.target ? 'median yes' : 'median no',
    ]),
  ),
  '',
  `${r.trials} primaries stopped (crash, immediate shutdown) at ${r.faultPhasesSeconds.join(', ')} s after a sample, ` +
    `in two groups whose samples fall ${r.samplePhasesSeconds.join(' and ')} s into a period. Bound = period × datapoints to alarm + sampling interval. ` +
    `The same published data is evaluated under every rule. ${r.note}.`,
  '',
  detectionReading(r.rules),
];

export const coldStartSection = (r: ColdStartResult, before: Baseline['coldStart']): string[] => {
  const previous = new Map(before.functions.map((f) => [f.name, f]));
  return [
    table(
      ['function', 'zip KiB', 'before KiB', 'bundle KiB', 'deflated KiB', 'load ms', 'before ms', 'SDK clients', 'clients its role does not use', 'largest packages (KiB)'],
      [
        ...r.functions.map((f) => [
          f.name,
          kib(f.zipBytes),
          kib(previous.get(f.name)?.zipBytes),
          kib(f.bytes),
          kib(f.deflatedBytes),
          f.loadMs,
          previous.get(f.name)?.loadMs ?? null,
          f.awsClients.map(short).join(', '),
          f.unusedClients.map(short).join(', ') || 'none',
          f.top.slice(0, 3).map((p) => `${p.name} ${kib(p.bytes)}`).join(', '),
        ]),
        ['naive: every client + pg', null, null, kib(r.naive.bytes), kib(r.naive.deflatedBytes), r.naive.loadMs, before.naive.loadMs, r.naive.awsClients.map(short).join(', '), null, null],
      ],
    ),
    '',
    `Largest function bundle / naive (deflated): **${r.largestSizeRatio}** (before ${before.largestSizeRatio}); ` +
      `slowest function load / naive: **${r.slowestLoadRatio}** (before ${before.slowestLoadRatio}). ` +
      `Load = median of ${r.loads} fresh \`node\` processes timing \`require(bundle)\` (module loading and evaluation only, on this machine's Node; Lambda runs nodejs22.x).`,
    '',
    'Reading: what filled the bundles before was (esbuild metafile) the whole of zod (470 KiB: `import { z }` kept every locale), the SDK ' +
      'clients’ CommonJS builds (esbuild picks `main` for platform node, and CommonJS is not tree-shaken: every command of every client ' +
      'imported) and, in the EC2 functions, 1.1 MiB of EC2 operation shapes. The fixes: `import * as z`, `mainFields: [module, main]`, an ' +
      'esbuild plugin that makes the SDK’s shape modules tree-shakable (shared/infra/esbuild-plugins.cjs) and pure annotations on the client ' +
      'factories. What is left is mostly the SDK core (@smithy/core, credential providers), the YAML parser for the configuration file, zod ' +
      'and pg; the naive bundle has no zod, YAML or application code, which is why a function is not smaller still relative to it.',
  ];
};

export const scaleSection = (points: ScalePoint[]): string[] => [
  table(
    ['clusters', 'first round ms (connects)', 'round ms', 'round ms per cluster', 'connections opened', 'data points', 'PutMetricData calls', 'calls per 1,000 points', 'CPU ms per cluster-round'],
    points.map((p) => [p.clusters, p.firstRoundMs, p.roundMs, p.roundMsPerCluster, p.connectionsOpened, p.dataPoints, p.putMetricDataCalls, p.callsPer1000DataPoints, p.cpuMsPerClusterRound]),
  ),
  '',
  `One invocation of the monitor's runMonitor per row, ${points[0]?.samples ?? '?'} samples ${points[0]?.intervalMs ?? '?'} ms apart, default concurrency (16 clusters at once); ` +
    'every cluster is the same local three-node topology under another name, so 50 clusters put 150 monitor connections on the same three servers.',
  '',
  'Reading: connections are opened once per node and cluster and reused for every round of the invocation; what grows with the cluster count ' +
    'is the first round (one TCP + SCRAM handshake per connection, 16 clusters at a time) and, here, the contention of every probe on the same ' +
    'three servers. PutMetricData goes out once per round (alarms need each round’s data during the invocation), so a single cluster pays ' +
    'one call per ~24 data points while 50 clusters fill calls close to the 1,000-point limit.',
];

/** The figures the issue 21 and 22 rows read from the drills, per row that has them. Pure. */
const partitionAndSyncText = (scenarios: DrillResult['scenarios']): string[] => [
  table(
    ['drills', 'runs', 'probe rounds', 'rounds with two writers', 'app writes failed (max of a run)', 'commit gap s (median, max)', 'new writers with an in-region standby streaming', 'of them without a synchronous standby at 60 s'],
    scenarios
      .filter((s) => s.probeRounds !== undefined)
      .map((s) => [
        s.label ?? s.scenario,
        s.runs,
        s.probeRounds,
        s.probeSplitRounds,
        s.appWriteFailures?.max,
        s.commitGapSeconds ? `${s.commitGapSeconds.median} (${s.commitGapSeconds.max})` : null,
        s.synchronousChecked,
        s.synchronousLeftWithout,
      ]),
  ),
  '',
  'Issues 21 and 22: the split-brain probe opens a fresh application session to every node every 200 ms during the whole drill and tries a ' +
    'write; a round in which two nodes took it is a round with two writers. "app writes failed" counts the drill application’s failed writes ' +
    '(in `control-partition` it writes to the healthy primary in the primary’s region). The commit gap is the longest time without a commit on ' +
    'the primary from the synchronous standby’s instance stopping (`sync-standby-loss`, synchronousMode `on`). After a promotion the drill looks ' +
    'for standbys in the new writer’s region streaming from it and, while the monitor still runs, waits up to 60 s from first seeing one stream for the ' +
    'cluster record to name one of them the new writer’s synchronous standby; a new writer with none streaming in its region is not counted.',
];

export const drillSection = (r: DrillResult): string[] => {
  if (r.status !== 'measured') return [`**Pending**: ${r.reason ?? 'not measured'}.`];
  return [
    table(
      ['drills', 'runs', 'passed', 'alarm fired', 'promoted', 'detection s (median, min–max)', 'RTO s median', 'RTO s p90', 'RTO s min–max', 'promotion → DATABASE_URL s (max)', 'dependency back → converged s (median, max)', 'app downtime s', 'acked rows lost (median, min–max)', 'receipt loss KiB (median)', 'receipt upper bound KiB (median)'],
      r.scenarios.map((s) => [
        s.label ?? s.scenario,
        s.runs,
        s.passed,
        s.alarms,
        s.promotions,
        s.detectionSeconds ? `${s.detectionSeconds.median} (${range(s.detectionSeconds)})` : null,
        s.rtoSeconds?.median,
        s.rtoSeconds?.p90,
        range(s.rtoSeconds),
        s.promotionToDatabaseUrlSeconds?.max,
        s.convergenceSeconds ? `${s.convergenceSeconds.median} (${s.convergenceSeconds.max})` : null,
        s.appDowntimeSeconds?.median,
        s.ackedRowsLost ? `${s.ackedRowsLost.median} (${range(s.ackedRowsLost)})` : null,
        kib(s.receiptLossBytes?.median),
        kib(s.receiptUpperBoundBytes?.median),
      ]),
    ),
    '',
    `RTO: fault → first application write through a DATABASE_URL read from SSM. Up to ${r.runsPerScenario} runs per row, ${r.concurrency} drills at a time ` +
      `(each its own process, stack and emulator), the rows interleaved. The drill shortens: ${r.shortened.join('; ')}. ` +
      'The transient faults (`primary-stall`: every PostgreSQL process of the primary frozen; `monitor-path-loss`: the control plane’s path to it ' +
      'black-holed) last 20 s and start at a different point of the alarm period in each run; they pass when nothing is promoted. ' +
      '"promotion → DATABASE_URL" is the receipt’s end of the promotion to the end of the last DATABASE_URL write (the DNS branch runs beside it). ' +
      '"dependency back → converged" is the scheduled convergence’s part: from SSM answering again to every DATABASE_URL read back on the writer ' +
      '(`ssm-region-down`), or from DynamoDB’s 20 s blip ending to the failover execution it started (`dependency-blip`); the convergence runs at ' +
      'its deployed schedule (rate(1 minute), three passes 20 s apart in each invocation), started with the drill’s warm-up, so its phase against ' +
      'the fault is about the same in every run: the worst case is one pass interval (20 s) plus a pass, not the spread shown.',
    ...(r.scenarios.some((s) => s.probeRounds !== undefined || s.commitGapSeconds !== undefined) ? ['', ...partitionAndSyncText(r.scenarios)] : []),
    ...r.scenarios.flatMap((s) => (s.measured ? [`\nRow ${s.label ?? s.scenario}: measured ${s.measured}.`] : [])),
    ...r.scenarios.flatMap((s) =>
      (s.failures ?? []).map((f, i) => `\nFailed ${s.scenario} run ${i + 1}: ${f.problems.join('; ')}. Workflow: ${f.reasons.join('; ') || 'no reasons'}. Alarm: ${f.alarmTransitions.join('; ') || 'no transitions'}.`),
    ),
    '',
    'Reading: the RTO is detection (the drill injects its fault as soon as the alarm is OK, which is just after a period boundary, so ' +
      `it sees close to the worst case of the default ${DEFAULT_ALARM.datapointsToAlarm} of ${DEFAULT_ALARM.evaluationPeriods}, see section 2) plus ` +
      `${DEFAULT_POLICY.rechecks} × \`policy.recheckAfterSeconds\` (${DEFAULT_POLICY.recheckAfterSeconds} s) between the confirmation checks — one more when the writer was ` +
      `last seen less than \`policy.metricStaleSeconds\` (${DEFAULT_POLICY.metricStaleSeconds} s) before the first check — plus a second or two of workflow, ` +
      'plus the application noticing and re-reading DATABASE_URL. RPO: the synchronous standby loses no acknowledged row; the asynchronous ' +
      'DR loses what was in flight on its throttled link. The receipt’s estimate counts WAL up to the last writer position anyone saw, so ' +
      'writes after the monitor’s last sample are not in it; its upper bound extrapolates them at the last observed rate.',
  ];
};
