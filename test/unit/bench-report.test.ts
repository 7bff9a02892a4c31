import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OverheadResult } from '../../bench/failover-overhead';
import { issue21Rows, issue22Rows, issue23Rows, renderReport, summaryRows } from '../../bench/report';
import { callBudget, drillSection } from '../../bench/report-sections';
import type { Baseline, BenchResult } from '../../bench/result';
import type { ScenarioDistribution } from '../../bench/drill-rto';
import { alarmSchema, policySchema } from '../../shared/config/schema';

const baseline = JSON.parse(readFileSync(join(__dirname, '..', '..', 'bench', 'baseline.json'), 'utf8')) as Baseline;
const spread = (median: number) => ({ n: 5, min: median - 1, median, max: median + 1 });

const overhead = (ratio: number): OverheadResult => ({
  runs: 5,
  target: 1.5,
  floorMs: spread(140),
  physicalFloorMs: spread(50),
  fullMs: spread(140 * ratio),
  ratio,
  ratioToPhysicalFloor: (140 * ratio) / 50,
  pairedRatio: ratio,
  floorParts: [{ name: 'promote', ms: 110 }],
  states: [{ name: 'PromoteCandidate', ms: 30, share: 0.1, awsCalls: 0, pgConnects: 1 }],
  betweenStatesMs: 3,
  receiptTotalMs: 250,
  calls: { floor: { aws: 3, pgConnects: 1, pgQueries: 1 }, full: { aws: 18, pgConnects: 9, pgQueries: 13 } },
  slowestCalls: [{ name: 'CloudWatch.GetMetricData', ms: 120, count: 3 }],
  samples: { floor: [140], full: [140 * ratio] },
});

const aResult = (ratio: number): BenchResult => ({
  date: '2026-11-26T12:00:00.000Z',
  machine: { cores: 2, cpu: 'test cpu', memoryGiB: 24, node: 'v20.0.0', platform: 'linux-x64' },
  durationSeconds: 480,
  overhead: { durationSeconds: 90, loadBefore: 1, loadAfter: 1.2, result: overhead(ratio) },
  baseline,
});

describe('bench report', () => {
  it('marks a figure against its target', () => {
    expect(summaryRows(aResult(1.4))).toEqual([['failover overhead: state machine / floor (median)', '< 1.5', 1.4, 'yes']]);
    expect(summaryRows(aResult(2.1))[0]?.[3]).toBe('no');
  });

  it('states the date, the core count and the ratios, and says which sections did not run', () => {
    const text = renderReport(aResult(2.1));
    expect(text).toContain('2026-11-26');
    expect(text).toContain('on 2 cores');
    expect(text).toContain('**2.1** (target < 1.5)');
    expect(text).toContain(`| before (baseline) | ${baseline.overhead.floorMedianMs} | ${baseline.overhead.fullMedianMs} | ${baseline.overhead.ratio} |`);
    expect(text).toMatch(/## 3\. Cold start and bundle size\n\nNot run/);
  });

  it('gives the call budget the target leaves at the floor’s own price of an AWS call', () => {
    const measured = {
      ...overhead(2.1),
      floorParts: [
        { name: 'promote', ms: 110 },
        { name: 'dns', ms: 14 },
        { name: 'databaseUrl', ms: 7 },
      ],
    };
    // 21 ms for the floor's 3 calls: 7 ms a call; 1.5 × 140 ms = 210 ms, room for 30 calls.
    expect(callBudget(measured)).toBe('At the floor’s own price of an AWS call here (7.0 ms), 1.5 × the floor leaves room for at most 30 calls and no database work at all; the state machine makes 18. ');
    expect(renderReport({ ...aResult(2.1), overhead: { durationSeconds: 90, loadBefore: 1, loadAfter: 1.2, result: measured } })).toContain('room for at most 30 calls');
    // Without the floor's AWS parts there is no price to go by: nothing is claimed.
    expect(callBudget(overhead(2.1))).toBe('');
  });

  it('describes the RTO with the configuration defaults, not figures written into the prose', () => {
    const policy = policySchema.parse({});
    const alarm = alarmSchema.parse({});

    const text = drillSection({ status: 'measured', runsPerScenario: 5, concurrency: 5, shortened: [], scenarios: [] }).join('\n');

    expect(text).toContain(`the default ${alarm.datapointsToAlarm} of ${alarm.evaluationPeriods}`);
    expect(text).toContain(`${policy.rechecks} × \`policy.recheckAfterSeconds\` (${policy.recheckAfterSeconds} s)`);
  });
});

describe('bench report: the drills against the failover goals', () => {
  const group = (label: string, scenario: ScenarioDistribution['scenario'], extra: Partial<ScenarioDistribution>): ScenarioDistribution => ({
    scenario,
    label,
    runs: 5,
    passed: 5,
    detectionSeconds: null,
    rtoSeconds: null,
    appDowntimeSeconds: null,
    ackedRowsLost: null,
    ackedRows: null,
    receiptLossBytes: null,
    receiptUpperBoundBytes: null,
    problems: [],
    failures: [],
    ...extra,
  });
  const withDrills = (scenarios: ScenarioDistribution[]): BenchResult => ({
    ...aResult(1.4),
    overhead: undefined,
    drills: { durationSeconds: 1, loadBefore: 1, loadAfter: 1, result: { status: 'measured', runsPerScenario: 10, concurrency: 5, shortened: [], scenarios } },
  });

  it('reads each goal from its own group: RTO medians, the DATABASE_URL delay with DNS pending, FAILED runs with Route 53 down, promotions from transient faults', () => {
    const rows = summaryRows(
      withDrills([
        group('region-outage', 'region-outage', { rtoSeconds: { ...spread(28), p90: 29 } }),
        group('primary-crash', 'primary-crash', { rtoSeconds: { ...spread(31), p90: 32 } }),
        group('region-outage, Route 53 PENDING 30 s', 'region-outage', { runs: 3, promotionToDatabaseUrlSeconds: { n: 3, min: 0.05, median: 0.07, max: 0.09 } }),
        group('dns-down (Route 53 API fails for good)', 'dns-down', { runs: 3, workflowsFailed: 1, passed: 2 }),
        group('primary-stall (20 s)', 'primary-stall', { runs: 10, passed: 10, promotions: 0, alarms: 9 }),
        group('monitor-path-loss (20 s)', 'monitor-path-loss', { runs: 10, passed: 9, promotions: 1, alarms: 10 }),
      ]),
    );
    expect(rows.slice(0, 6)).toEqual([
      ['region-outage RTO through DATABASE_URL, median of 5', '≤ 30 s', '28 s', 'yes'],
      ['primary-crash RTO through DATABASE_URL, median of 5', '≤ 30 s', '31 s', 'no'],
      ['promotion → last DATABASE_URL written, Route 53 PENDING 30 s (slowest of 3)', '≤ 1 s', '0.09 s', 'yes'],
      ['failovers that end FAILED when Route 53 is down', 'none', '1 of 3', 'no'],
      ['promotions from primary-stall (20 s) (alarm fired in 9)', '0', '0 of 10', 'yes'],
      ['promotions from monitor-path-loss (20 s) (alarm fired in 10)', '0', '1 of 10', 'no'],
    ]);
    expect(rows.at(-1)).toEqual(['drill monitor-path-loss (20 s): runs passed', 'all pass', '9/10', 'no']);
  });

  it('issue 21: probe rounds with two writers per partition drill, promotions and refused writes in control-partition', () => {
    const groups = [
      group('control-partition (x)', 'control-partition', { runs: 10, promotions: 0, probeRounds: 1500, probeSplitRounds: 0, appWriteFailures: { n: 10, min: 0, median: 0, max: 0 } }),
      group('region-isolated (x)', 'region-isolated', { runs: 10, promotions: 10, probeRounds: 2000, probeSplitRounds: 2 }),
    ];
    expect(issue21Rows(groups)).toEqual([
      ['probe rounds with two writers, `control-partition` (10 runs, a round every 200 ms)', '0', '0 of 1500', 'yes'],
      ['probe rounds with two writers, `region-isolated` (10 runs, a round every 200 ms)', '0', '2 of 2000', 'no'],
      ['promotions in `control-partition` (10 runs)', '0', '0 of 10', 'yes'],
      ['writes refused by the healthy primary during a control-region partition (most in one of 10 runs)', '0 after the partition starts', '0', 'yes'],
    ]);
    // A report that did not count split rounds proves nothing: no verdict.
    expect(issue21Rows([group('region-isolated', 'region-isolated', { probeRounds: 10, probeSplitRounds: null })])[0]).toEqual([
      'probe rounds with two writers, `region-isolated` (5 runs, a round every 200 ms)',
      '0',
      '– of 10',
      '–',
    ]);
    expect(issue21Rows([group('region-outage', 'region-outage', {})])).toEqual([]);
  });

  it('issue 23: the slowest RTO of each region loss of double-region against 30 s, only from its per-leg rows', () => {
    const rows = issue23Rows([
      group('double-region (a control plane per control region; RTO of each region loss), leg 1 (primary region lost)', 'double-region', { runs: 3, rtoSeconds: { n: 3, min: 24, median: 25, max: 27, p90: 27 } }),
      group('double-region (a control plane per control region; RTO of each region loss), leg 4 (DR region lost with its control plane)', 'double-region', { runs: 3, rtoSeconds: { n: 3, min: 25, median: 29, max: 31, p90: 31 } }),
      group('double-region', 'double-region', { runs: 3, rtoSeconds: { n: 3, min: 1, median: 1, max: 1, p90: 1 } }),
    ]);
    expect(rows).toEqual([
      ['double-region leg 1 (primary region lost): RTO through DATABASE_URL, slowest of 3 (median 25 s)', '≤ 30 s', '27 s', 'yes'],
      ['double-region leg 4 (DR region lost with its control plane): RTO through DATABASE_URL, slowest of 3 (median 29 s)', '≤ 30 s', '31 s', 'no'],
    ]);
  });

  it('issue 22: the slowest commit gap after the synchronous standby’s loss, and new writers left without a synchronous standby', () => {
    const rows = issue22Rows([
      group('sync-standby-loss (x)', 'sync-standby-loss', { runs: 3, commitGapSeconds: { n: 3, min: 10, median: 10.2, max: 16 }, synchronousChecked: 0, synchronousLeftWithout: 0 }),
      group('primary-crash', 'primary-crash', { runs: 3, promotions: 3, synchronousChecked: 0, synchronousLeftWithout: 0 }),
      group('switchover (x)', 'switchover', { runs: 3, promotions: 3, synchronousChecked: 3, synchronousLeftWithout: 1 }),
    ]);
    expect(rows).toEqual([
      ["longest time without a commit after the synchronous standby's loss (`on`), slowest of 3", '≤ 15 s', '16 s', 'no'],
      ['new writers left without a synchronous standby while an in-region standby streams (60 s after it is seen streaming; new writers: primary-crash 3, switchover 3)', 'none', '1 of 3 with an in-region standby streaming', 'no'],
    ]);
    // No new writer had an in-region standby streaming: nothing was checked, no verdict.
    expect(issue22Rows([group('primary-crash', 'primary-crash', { promotions: 2, synchronousChecked: 0, synchronousLeftWithout: 0 })])[0]?.[3]).toBe('–');
  });
});
