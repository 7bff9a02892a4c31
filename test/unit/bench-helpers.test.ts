import type { Metafile } from 'esbuild';
import { analyseMetafile, naiveEntrySource } from '../../bench/bundles';
import { datapointVariants, detectionBoundSeconds } from '../../bench/detection';
import { groupRows, legReport, probeFigures, promotionToDatabaseUrlMs, summariseDrills } from '../../bench/drill-rto';
import { movedAfterMs, slowestCalls, stateShares } from '../../bench/failover-overhead';
import { callsByKind, perState, type FullRun } from '../../bench/failover-runs';
import { replicatedConfig, roundDurations } from '../../bench/monitor-scale';
import type { DrillReport } from '../../drill/drill-report';
import { aConfig } from '../fixtures/config';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file that serverless.yml loads as is; it has no types
const { inlineConstantKeys } = require('../../shared/infra/esbuild-plugins.cjs') as { inlineConstantKeys: (source: string) => string };

describe('bench helpers', () => {
  it('times each monitor round from its first start to its last sample, pacing as runMonitor does', () => {
    const handed = [
      { cluster: 'a', at: 40 },
      { cluster: 'b', at: 60 },
      { cluster: 'a', at: 1030 },
      { cluster: 'b', at: 1050 },
    ];
    // Round 0 starts at 0; round 1 starts at 0 + 1000 for both (their samples ended earlier).
    expect(roundDurations(handed, 0, 1000)).toEqual([60, 50]);
    // A round longer than the interval pushes the next start to its end.
    expect(roundDurations([{ cluster: 'a', at: 1500 }, { cluster: 'a', at: 1600 }], 0, 1000)).toEqual([1500, 100]);
  });

  it('lists the same cluster under new names, nodes and credentials unchanged', () => {
    const config = replicatedConfig(aConfig(), 3);
    expect(config.clusters.map((c) => c.name)).toEqual(['orders', 'orders1', 'orders2']);
    expect(config.clusters[2]!.nodes).toEqual(config.clusters[0]!.nodes);
  });

  it('bounds detection by period × datapoints to alarm + the sampling interval', () => {
    expect(detectionBoundSeconds({ periodSeconds: 10, datapointsToAlarm: 3 }, 10)).toBe(40);
    expect(detectionBoundSeconds({ periodSeconds: 10, datapointsToAlarm: 2 }, 10)).toBe(30);
  });

  it('compares the default datapoints to alarm with one more and one fewer, never fewer than two', () => {
    expect(datapointVariants(2, 3)).toEqual([2, 3]);
    expect(datapointVariants(3, 3)).toEqual([3, 2]);
    expect(datapointVariants(3, 5)).toEqual([3, 4, 2]);
  });

  it('sums a bundle by package and names the SDK clients in it', () => {
    const metafile = {
      inputs: {},
      outputs: {
        'out.js': {
          bytes: 600,
          imports: [],
          exports: [],
          inputs: {
            'node_modules/@aws-sdk/client-ec2/dist-es/index.js': { bytesInOutput: 300 },
            'node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js': { bytesInOutput: 100 },
            'node_modules/zod/v4/core/schemas.js': { bytesInOutput: 150 },
            'shared/aws/ec2.ts': { bytesInOutput: 50 },
          },
        },
      },
    } as unknown as Metafile;
    expect(analyseMetafile(metafile)).toEqual({
      bytes: 600,
      packages: [
        { name: '@aws-sdk/client-ec2', bytes: 400 },
        { name: 'zod', bytes: 150 },
        { name: 'shared', bytes: 50 },
      ],
      awsClients: ['@aws-sdk/client-ec2'],
    });
  });

  it('re-exports every client whole in the naive entry', () => {
    expect(naiveEntrySource(['@aws-sdk/client-ec2', '@aws-sdk/client-ssm'])).toBe(
      ["export * as client0 from '@aws-sdk/client-ec2';", "export * as client1 from '@aws-sdk/client-ssm';", "export * as pg from 'pg';"].join('\n'),
    );
  });

  it('inlines computed keys that name a module-level string constant, and nothing else', () => {
    const source = ['const _xN = "xmlName";', 'const n0 = 3;', 'export var A$ = [3, _s, { [_xN]: _I }, { [n0]: 1 }, x ? [_xN]: y];'].join('\n');
    expect(inlineConstantKeys(source)).toBe(
      ['const _xN = "xmlName";', 'const n0 = 3;', 'export var A$ = [3, _s, { "xmlName": _I }, { [n0]: 1 }, x ? [_xN]: y];'].join('\n'),
    );
  });

  it('counts each call in the state entered last before it started, allowing for whole-millisecond state times', () => {
    const states = [
      { name: 'AcquireLease', startMs: 1000, endMs: 1010 },
      { name: 'ConfirmOutage', startMs: 1011, endMs: 1050 },
    ];
    const call = (kind: 'aws' | 'pg-connect', startMs: number) => ({ kind, what: '', startMs, ms: 1 });
    // wallStart 1000: the second call starts at 1009.5, just before ConfirmOutage's recorded start.
    expect(perState(states, [call('aws', 1), call('aws', 9.5), call('pg-connect', 20)], 1000)).toEqual([
      { name: 'AcquireLease', ms: 10, awsCalls: 1, pgConnects: 0 },
      { name: 'ConfirmOutage', ms: 39, awsCalls: 1, pgConnects: 1 },
    ]);
  });

  it('reports each state’s median time and share of the median total', () => {
    const run = (ms: number, confirm: number) =>
      ({ ms, states: [{ name: 'ConfirmOutage', ms: confirm, awsCalls: 2, pgConnects: 3 }], receipt: {}, calls: { aws: 0, pgConnects: 0, pgQueries: 0 } }) as unknown as FullRun;
    expect(stateShares([run(200, 50), run(100, 30), run(300, 70)])).toEqual([{ name: 'ConfirmOutage', ms: 50, share: 0.25, awsCalls: 2, pgConnects: 3 }]);
  });

  it('groups outside calls by kind and ranks their median time per run', () => {
    const call = (kind: 'aws' | 'pg-connect' | 'pg-query', what: string, ms: number) => ({ kind, what, startMs: 0, ms });
    const byCall = callsByKind([call('aws', 'CloudWatch.GetMetricData', 30), call('pg-connect', ':5432', 5), call('pg-connect', ':5433', 7), call('aws', 'CloudWatch.GetMetricData', 20)]);
    expect(byCall).toEqual([
      { name: 'CloudWatch.GetMetricData', ms: 50, count: 2 },
      { name: 'pg connect', ms: 12, count: 2 },
    ]);
    const run = (calls: FullRun['byCall']) => ({ byCall: calls }) as unknown as FullRun;
    expect(slowestCalls([run(byCall), run([{ name: 'pg connect', ms: 100, count: 4 }]), run(byCall)])).toEqual([
      { name: 'CloudWatch.GetMetricData', ms: 50, count: 2 },
      { name: 'pg connect', ms: 12, count: 2 },
    ]);
  });

  it("measures a sequence leg by leg: each leg's fault figures in place of the last fault's, a row per leg from the same runs", () => {
    const leg = (name: string, rtoMs: number | null) => ({ name, faultAtMs: 1000, detectionMs: 20_000, rtoMs, appDowntimeMs: 31_000, dnsRtoMs: null, rpo: { ackedRowsLost: 0, ackedRows: 10, receiptBytes: 0, receiptSeconds: 0 } });
    const run = (first: number, fourth: number | null) =>
      ({ scenario: 'double-region', passed: true, problems: [], outcome: 'promoted', detectionMs: 20_000, rtoMs: fourth, appDowntimeMs: 0, rpo: { ackedRowsLost: 0, ackedRows: 40 }, legs: [leg('primary region lost', first), leg('region returns', null), leg('rejoin', null), leg('DR region lost with its control plane', fourth)] }) as unknown as DrillReport;
    expect(legReport(run(25_000, 28_000), 1).rtoMs).toBe(25_000);
    expect(legReport(run(25_000, 28_000), 7)).toMatchObject({ rtoMs: null, problems: ['no leg 7 in this report (4 legs)'] });
    const rows = groupRows({ label: 'double-region (x)', scenario: 'double-region', runs: 2, legs: [1, 4] }, [run(25_000, 28_000), run(27_000, null)]);
    expect(rows.map((r) => [r.label, r.rtoSeconds?.median, r.rtoSeconds?.n])).toEqual([
      ['double-region (x), leg 1 (primary region lost)', 26, 2],
      ['double-region (x), leg 4 (DR region lost with its control plane)', 28, 1],
    ]);
    expect(groupRows({ label: 'double-region', scenario: 'double-region', runs: 2 }, [run(25_000, 28_000)]).map((r) => r.label)).toEqual(['double-region']);
  });

  it('summarises drills per scenario, leaving out what a run could not measure', () => {
    const report = (rtoMs: number | null, lost: number | null, passed = true) =>
      ({ passed, problems: passed ? [] : ['no writer'], detectionMs: 30000, rtoMs, appDowntimeMs: rtoMs ?? 0, rpo: { ackedRowsLost: lost, ackedRows: 100, receiptBytes: 0, receiptSeconds: 0, receiptUpperBoundBytes: 2048 } }) as unknown as DrillReport;
    const summary = summariseDrills('primary-crash', [report(60000, 0), report(62000, 0), report(null, null, false)]);
    expect(summary).toMatchObject({ runs: 3, passed: 2, rtoSeconds: { n: 2, min: 60, median: 61, max: 62, p90: 62 }, ackedRowsLost: { n: 2, median: 0 }, receiptUpperBoundBytes: { n: 3, median: 2048 }, problems: ['no writer'] });
  });
});

describe('drill summaries for the failover goals', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
  const receipt = (promotedMs: number, urlMs: number) => ({ steps: [{ step: 'promotion', endedAt: at(promotedMs) }, { step: 'databaseUrl', endedAt: at(urlMs) }, { step: 'dns', endedAt: at(promotedMs + 30_000) }] });

  it('measures promotion → DATABASE_URL from the receipt, and counts promotions, alarms and executions without a receipt', () => {
    expect(promotionToDatabaseUrlMs(receipt(1000, 1070))).toBe(70);
    expect(promotionToDatabaseUrlMs({ steps: [{ step: 'promotion', endedAt: at(0) }] })).toBeNull();
    expect(promotionToDatabaseUrlMs(null)).toBeNull();
    const run = (outcome: string, detectionMs: number | null, r: unknown) =>
      ({ passed: true, problems: [], outcome, detectionMs, rtoMs: null, appDowntimeMs: 0, receipt: r, rpo: { ackedRowsLost: 0, ackedRows: 1, receiptBytes: null, receiptUpperBoundBytes: null } }) as unknown as DrillReport;
    const summary = summariseDrills('dns-down', [run('promoted', 20_000, receipt(0, 90)), run('promoted', 21_000, receipt(0, 50)), run('not-promoted', 22_000, null), run('not-promoted', null, null)], 'dns-down (x)');
    expect(summary).toMatchObject({ label: 'dns-down (x)', promotions: 2, alarms: 3, workflowsFailed: 1, promotionToDatabaseUrlSeconds: { n: 2, max: 0.1 } });
  });
});

describe('failover overhead until applications can move', () => {
  it('runs from the receipt’s start to the end of its DATABASE_URL step', () => {
    const startedAt = '2026-01-01T00:00:00.000Z';
    expect(movedAfterMs({ startedAt, steps: [{ step: 'promotion', startedAt, endedAt: '2026-01-01T00:00:00.150Z', ms: 150 }, { step: 'databaseUrl', startedAt, endedAt: '2026-01-01T00:00:00.240Z', ms: 90 }] })).toBe(240);
    expect(movedAfterMs({ startedAt, steps: [] })).toBeNull();
  });
});

describe('drill summaries for the partition and synchronous replication goals', () => {
  it('adds up probe rounds and those with two writers; a report that did not count them leaves the count unknown', () => {
    expect(probeFigures([{ probe: { rounds: 100, maxWriters: 1, splitRounds: 0 } }, { probe: { rounds: 50, maxWriters: 2, splitRounds: 3 } }])).toEqual({ probeRounds: 150, probeSplitRounds: 3 });
    expect(probeFigures([{ probe: { rounds: 100, maxWriters: 1, splitRounds: 0 } }, { probe: { rounds: 50, maxWriters: 1 } }])).toEqual({ probeRounds: 150, probeSplitRounds: null });
    expect(probeFigures([{ probe: null }])).toEqual({ probeRounds: 0, probeSplitRounds: null });
  });

  it('takes the commit gap, the application’s failed writes and the synchronous checks from the reports', () => {
    const run = (extra: Partial<DrillReport>) =>
      ({ passed: true, problems: [], outcome: 'promoted', detectionMs: null, rtoMs: null, appDowntimeMs: 0, receipt: null, probe: null, rpo: { ackedRowsLost: 0, ackedRows: 1, receiptBytes: null, receiptUpperBoundBytes: null }, ...extra }) as unknown as DrillReport;
    const app = (failures: number) => ({ failures }) as DrillReport['app'];
    const sync = (leftWithout: boolean) => ({ writer: 'b', inRegionStreaming: ['a'], recorded: leftWithout ? null : 'a', checkedAtMs: 1000, waitedMs: 500, leftWithout, monitorSaid: null });
    const summary = summariseDrills('switchover', [
      run({ commitGapMs: 10_200, app: app(0), synchronousAfter: sync(false) }),
      run({ commitGapMs: 10_400, app: app(2), synchronousAfter: sync(true) }),
      run({ commitGapMs: null, app: app(0), synchronousAfter: null }),
    ]);
    expect(summary).toMatchObject({ commitGapSeconds: { n: 2, max: 10.4 }, appWriteFailures: { n: 3, max: 2 }, synchronousChecked: 2, synchronousLeftWithout: 1 });
  });
});
