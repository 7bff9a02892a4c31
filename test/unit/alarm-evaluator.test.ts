import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { alarmDefinitions, type MissingData } from '../../shared/infra/alarms';
import {
  breaches,
  evaluateAlarm,
  evaluationRangeOf,
  LocalAlarm,
  periodValues,
  type AlarmRule,
  type AlarmState,
  type ComparisonOperator,
} from '../../local/alarm-evaluator';
import { aConfig } from '../fixtures/config';

/** A rule like the failover alarm's: "PrimaryReachable < 1", so 1 is fine and 0 breaches. */
const aRule = (overrides: Partial<AlarmRule> = {}): AlarmRule => ({
  threshold: 1,
  comparison: 'LessThanThreshold',
  periodSeconds: 10,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  treatMissingData: 'missing',
  statistic: 'Maximum',
  ...overrides,
});

/** AWS's notation, oldest first: 0 not breaching, X breaching, - missing. */
const periods = (notation: string): Array<number | null> =>
  notation.split(/\s+/).map((c) => (c === '-' ? null : c === 'X' ? 0 : 1));

const stateOf = (notation: string, rule: AlarmRule, current: AlarmState = 'OK') => evaluateAlarm(rule, periods(notation), current).state;

const MODES: MissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

/** Rows of the tables in AWS's "Configuring how CloudWatch alarms treat missing data". */
const table = (m: number, rows: Array<[string, Array<AlarmState | 'retain'>]>) =>
  rows.flatMap(([notation, outcomes]) =>
    MODES.map((mode, i) => ({ notation, mode, m, expected: outcomes[i]! })),
  );

describe('alarm evaluation (AWS semantics)', () => {
  const threeOfThree = table(3, [
    ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
    ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
    ['- - - - -', ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']],
    ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - X - -', ['ALARM', 'retain', 'ALARM', 'OK']],
  ]);
  const twoOfThree = table(2, [
    ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - X -', ['ALARM', 'retain', 'ALARM', 'OK']],
  ]);

  it.each([...threeOfThree, ...twoOfThree])('$m of 3, $notation, missing data $mode: $expected', ({ notation, mode, m, expected }) => {
    const rule = aRule({ datapointsToAlarm: m, treatMissingData: mode });
    for (const current of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as AlarmState[]) {
      expect(stateOf(notation, rule, current)).toBe(expected === 'retain' ? current : expected);
    }
  });

  it('retrieves N + 2 periods, as AWS does for N = 3', () => {
    expect(evaluationRangeOf({ evaluationPeriods: 3 })).toBe(5);
    expect(evaluationRangeOf({ evaluationPeriods: 1 })).toBe(3);
  });

  it('lets the most recent real datapoints decide once there are N of them, whatever the missing-data mode', () => {
    for (const mode of MODES) {
      const result = evaluateAlarm(aRule({ treatMissingData: mode }), periods('X - X - X'), 'OK');
      expect(result).toMatchObject({ state: 'ALARM', real: 3, filled: 0, breaching: 3 });
    }
  });

  it('fills only the shortfall: two real datapoints and N = 3 fill exactly one', () => {
    const result = evaluateAlarm(aRule({ treatMissingData: 'breaching' }), periods('0 - X - -'), 'OK');
    expect(result).toMatchObject({ state: 'OK', real: 2, filled: 1, breaching: 2 });
  });

  it('does not alarm prematurely on one fresh breaching datapoint when missing data is missing', () => {
    const rule = aRule({ treatMissingData: 'missing' });
    expect(stateOf('- - - - X', rule)).toBe('OK');
    expect(stateOf('- - - X -', rule)).toBe('OK');
    expect(stateOf('- - X - -', rule)).toBe('ALARM');
  });

  it('is an M of N alarm: 2 breaching of the last 3 alarm at M = 2, not at M = 3', () => {
    expect(stateOf('0 0 X 0 X', aRule({ datapointsToAlarm: 2 }))).toBe('ALARM');
    expect(stateOf('0 0 X 0 X', aRule({ datapointsToAlarm: 3 }))).toBe('OK');
    expect(stateOf('X X 0 0 X', aRule({ datapointsToAlarm: 2 }))).toBe('OK');
    expect(stateOf('0 X X X X', aRule({ datapointsToAlarm: 1, evaluationPeriods: 1 }))).toBe('ALARM');
  });

  it('only looks at the evaluation range, and re-uses its last real datapoint while data stops flowing', () => {
    const rule = aRule({ evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'breaching' });
    // range of 3: the old breaching points fall out, the recent OK one decides
    expect(stateOf('X X X X 0', rule)).toBe('OK');
    // AWS: with N real datapoints in the range, missing data is not consulted, even when it is recent
    expect(stateOf('0 0 0 0 -', rule)).toBe('OK');
    expect(stateOf('0 0 0 - -', rule)).toBe('OK');
    expect(stateOf('0 0 - - -', rule)).toBe('ALARM');
  });

  it.each<[ComparisonOperator, number, boolean]>([
    ['GreaterThanThreshold', 10, false],
    ['GreaterThanThreshold', 10.5, true],
    ['GreaterThanOrEqualToThreshold', 10, true],
    ['GreaterThanOrEqualToThreshold', 9.99, false],
    ['LessThanThreshold', 10, false],
    ['LessThanThreshold', 9.5, true],
    ['LessThanOrEqualToThreshold', 10, true],
    ['LessThanOrEqualToThreshold', 10.01, false],
  ])('%s 10: %d breaches is %s', (comparison, value, expected) => {
    expect(breaches(value, { comparison, threshold: 10 })).toBe(expected);
  });

  it('states the datapoints and the rule in its reason', () => {
    const result = evaluateAlarm(aRule(), periods('0 X X X X'), 'OK');
    expect(result.reason).toBe('3 of the 3 most recent datapoints breach (3 of 3 needed, LessThanThreshold 1, missing data missing)');
  });
});

describe('alarm periods from 1-second datapoints', () => {
  const rule = aRule({ periodSeconds: 10, evaluationPeriods: 1, statistic: 'Maximum' });
  const at = (s: number) => 1_700_000_000_000 + s * 1000;

  it('aggregates each complete period with the statistic and leaves empty periods missing', () => {
    const points = [
      { at: at(1), value: 1 },
      { at: at(2), value: 0 },
      { at: at(21), value: 0 },
      { at: at(25), value: 0 },
    ];
    // now = 31.5 s with 1 s settling: the last complete period is [20, 30); range 3: [0,10) [10,20) [20,30)
    const { values, endsAt } = periodValues(points, rule, at(31.5), 1000);
    expect(endsAt).toBe(at(30));
    expect(values).toEqual([1, null, 0]);
    expect(periodValues(points, { ...rule, statistic: 'Minimum' }, at(31.5), 1000).values).toEqual([0, null, 0]);
  });

  it('leaves out a period that is not complete yet, or whose last second may still be in flight', () => {
    const points = [{ at: at(29.5), value: 0 }];
    expect(periodValues(points, rule, at(30.5), 1000).values.at(-1)).toBeNull();
    expect(periodValues(points, rule, at(31), 1000).values.at(-1)).toBe(0);
  });
});

describe('LocalAlarm over GetMetricData', () => {
  const cloudwatch = mockClient(CloudWatchClient);
  const config = aConfig();
  // The N-period walk below is written for a 3-of-3 window.
  config.clusters[0]!.alarms = { periodSeconds: 10, evaluationPeriods: 3, datapointsToAlarm: 3, monitorBlindSeconds: 60 };
  const definition = alarmDefinitions(config, 'pgfo-local').find((a) => a.triggersFailover)!;

  beforeEach(() => cloudwatch.reset());

  const answer = (values: Array<[number, number]>) =>
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'm', Timestamps: values.map(([t]) => new Date(t)), Values: values.map(([, v]) => v) }],
    });

  it('reads the alarm metric at 1-second resolution with its statistic and reports each state change once', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 41);
    answer([[now - 35_000, 1], [now - 25_000, 1], [now - 15_000, 1]]);
    const alarm = new LocalAlarm(definition, new CloudWatchClient({ region: 'us-west-2' }));

    const first = await alarm.evaluate(now);
    const again = await alarm.evaluate(now);

    expect(first).toMatchObject({ alarmName: definition.alarmName, from: 'INSUFFICIENT_DATA', to: 'OK' });
    expect(again).toBeNull();
    const query = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries![0]!;
    expect(query.MetricStat).toMatchObject({
      Period: 1,
      Stat: 'Maximum',
      Metric: { MetricName: 'PrimaryReachable', Dimensions: [{ Name: 'Cluster', Value: 'orders' }] },
    });
  });

  it('goes to ALARM when the primary is reported unreachable for N periods, then back to OK', async () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    const alarm = new LocalAlarm(definition, new CloudWatchClient({ region: 'us-west-2' }));
    const seconds = (from: number, to: number, value: number) =>
      Array.from({ length: to - from }, (_, i): [number, number] => [start + (from + i) * 1000, value]);
    answer([...seconds(0, 20, 1), ...seconds(20, 50, 0)]);

    expect((await alarm.evaluate(start + 31_000))?.to).toBe('OK');
    expect(await alarm.evaluate(start + 41_000)).toBeNull();
    expect(await alarm.evaluate(start + 51_000)).toMatchObject({ from: 'OK', to: 'ALARM' });
    answer([...seconds(0, 20, 1), ...seconds(20, 50, 0), ...seconds(50, 60, 1)]);
    expect(await alarm.evaluate(start + 61_000)).toMatchObject({ from: 'ALARM', to: 'OK' });
    expect(alarm.transitions.map((t) => t.to)).toEqual(['OK', 'ALARM', 'OK']);
  });

  it('keeps the failover alarm OK while the monitor is silent, and puts the monitor-blind alarm in ALARM instead', async () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    const blindDefinition = alarmDefinitions(config, 'pgfo-local').find((a) => a.kind === 'monitor-blind')!;
    const failover = new LocalAlarm(definition, new CloudWatchClient({ region: 'us-west-2' }));
    const blind = new LocalAlarm(blindDefinition, new CloudWatchClient({ region: 'us-west-2' }));
    // The monitor published "reachable" once every 10 s for a minute, then nothing at all.
    answer(Array.from({ length: 6 }, (_, i): [number, number] => [start + i * 10_000 + 500, 1]));

    expect((await failover.evaluate(start + 61_000))?.to).toBe('OK');
    expect((await blind.evaluate(start + 61_000))?.to).toBe('OK');
    expect(await failover.evaluate(start + 200_000)).toBeNull();
    expect(await blind.evaluate(start + 200_000)).toMatchObject({ from: 'OK', to: 'ALARM' });
    expect(failover.state).toBe('OK');
  });
});
