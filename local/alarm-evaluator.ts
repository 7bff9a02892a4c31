import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AlarmDefinition, MissingData } from '../shared/infra/alarms';

/**
 * A local stand-in for CloudWatch's alarm evaluation, which the emulator does not do. The pure part
 * follows AWS's documented semantics ("Alarm evaluation" and "Configuring how CloudWatch alarms
 * treat missing data" in the CloudWatch user guide): M of N datapoints, an evaluation range wider
 * than N, missing data filled only as often as needed, and the "premature alarm" rule. The I/O part
 * reads the metric back from the (emulated) CloudWatch with GetMetricData.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** What evaluation needs of an alarm: a subset of AlarmDefinition, with every AWS comparison. */
export interface AlarmRule {
  threshold: number;
  comparison: ComparisonOperator;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: MissingData;
  statistic: 'Maximum' | 'Minimum' | 'SampleCount';
}

/** One raw data point (as GetMetricData returns them at 1-second resolution). */
export interface Datapoint {
  at: number;
  value: number;
}

/** The statistic of one alarm period, or null when the period had no data (missing). */
export type PeriodValue = number | null;

export interface Evaluation {
  state: AlarmState;
  reason: string;
  /** Datapoints evaluated (N), of which real and filled in by the missing-data treatment. */
  real: number;
  filled: number;
  breaching: number;
}

const COMPARE: Record<ComparisonOperator, (value: number, threshold: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

export const breaches = (value: number, rule: Pick<AlarmRule, 'comparison' | 'threshold'>): boolean =>
  COMPARE[rule.comparison](value, rule.threshold);

/**
 * Periods CloudWatch retrieves per evaluation. AWS does not publish the formula; its documented
 * example retrieves 5 periods for N = 3, so N + 2 is used here.
 */
export const evaluationRangeOf = (rule: Pick<AlarmRule, 'evaluationPeriods'>): number => rule.evaluationPeriods + 2;

const count = (flags: boolean[]) => flags.filter(Boolean).length;

/**
 * The "premature alarm" rule for treatMissingData = missing: with too few real datapoints, the alarm
 * still goes to ALARM when every real datapoint breaches and the oldest of them is at least M
 * periods old (AWS's tables: `- - X - -` alarms for 3 of 3, `- - - X -` for 2 of 3, `- - - - X` does not).
 */
const prematureAlarm = (range: PeriodValue[], flags: boolean[], m: number): boolean => {
  const oldestReal = range.findIndex((v) => v !== null);
  return flags.length > 0 && flags.every(Boolean) && range.length - oldestReal >= m;
};

/**
 * Decides the alarm state from the values of the most recent periods (oldest first, the last one the
 * most recent complete period) and the current state (which `ignore` may keep). Pure.
 */
export const evaluateAlarm = (rule: AlarmRule, values: PeriodValue[], current: AlarmState): Evaluation => {
  const n = rule.evaluationPeriods;
  const m = rule.datapointsToAlarm;
  const range = values.slice(-evaluationRangeOf(rule));
  const flags = range.filter((v): v is number => v !== null).map((v) => breaches(v, rule));
  const result = (state: AlarmState, breaching: number, filled: number, why: string): Evaluation => ({
    state,
    reason: `${why} (${m} of ${n} needed, ${rule.comparison} ${rule.threshold}, missing data ${rule.treatMissingData})`,
    real: Math.min(flags.length, n),
    filled,
    breaching,
  });
  if (flags.length >= n) {
    // Enough real data: the N most recent real datapoints decide; missing data is not consulted.
    const breaching = count(flags.slice(-n));
    return result(breaching >= m ? 'ALARM' : 'OK', breaching, 0, `${breaching} of the ${n} most recent datapoints breach`);
  }
  // Too few real datapoints: every real one counts, and only the shortfall is filled in.
  const shortfall = n - flags.length;
  const realBreaching = count(flags);
  const summary = `${flags.length} real datapoint(s) in ${range.length} periods, ${realBreaching} breaching`;
  switch (rule.treatMissingData) {
    case 'breaching': {
      const breaching = realBreaching + shortfall;
      return result(breaching >= m ? 'ALARM' : 'OK', breaching, shortfall, `${summary}; ${shortfall} missing counted as breaching`);
    }
    case 'notBreaching':
      return result(realBreaching >= m ? 'ALARM' : 'OK', realBreaching, shortfall, `${summary}; ${shortfall} missing counted as not breaching`);
    case 'ignore':
      if (realBreaching >= m) return result('ALARM', realBreaching, 0, summary);
      if (flags.some((f) => !f)) return result('OK', realBreaching, 0, summary);
      return result(current, realBreaching, 0, `${summary}; missing data ignored: state kept`);
    case 'missing':
      if (flags.length === 0) return result('INSUFFICIENT_DATA', 0, 0, `no datapoint in ${range.length} periods`);
      if (realBreaching >= m || prematureAlarm(range, flags, m)) return result('ALARM', realBreaching, 0, summary);
      return result('OK', realBreaching, 0, summary);
  }
};

/**
 * Aggregates raw datapoints into the alarm's periods with its statistic: the evaluation range of
 * complete periods ending at or before `now - settleMs` (data of the last second may still be in
 * flight). Periods are aligned to multiples of the period since the epoch. Pure.
 */
export const periodValues = (
  points: Datapoint[],
  rule: Pick<AlarmRule, 'periodSeconds' | 'evaluationPeriods' | 'statistic'>,
  now: number,
  settleMs = 1000,
): { values: PeriodValue[]; endsAt: number } => {
  const periodMs = rule.periodSeconds * 1000;
  const endsAt = Math.floor((now - settleMs) / periodMs) * periodMs;
  const periods = evaluationRangeOf(rule);
  const pick = rule.statistic === 'Maximum' ? Math.max : rule.statistic === 'Minimum' ? Math.min : (...values: number[]) => values.length;
  const values: PeriodValue[] = [];
  for (let k = periods; k >= 1; k -= 1) {
    const start = endsAt - k * periodMs;
    const inside = points.filter((p) => p.at >= start && p.at < start + periodMs).map((p) => p.value);
    values.push(inside.length > 0 ? pick(...inside) : null);
  }
  return { values, endsAt };
};

/** The datapoints of an alarm's metric between two instants, at 1-second resolution, oldest first. */
export const readAlarmDatapoints = async (
  client: CloudWatchClient,
  alarm: Pick<AlarmDefinition, 'namespace' | 'metricName' | 'dimensions' | 'statistic'>,
  from: Date,
  to: Date,
): Promise<Datapoint[]> => {
  const out = await client.send(
    new GetMetricDataCommand({
      StartTime: from,
      EndTime: to,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'm',
          MetricStat: {
            Metric: { Namespace: alarm.namespace, MetricName: alarm.metricName, Dimensions: alarm.dimensions },
            Period: 1,
            // SampleCount is counted per alarm period from the 1-second points (periodValues).
            Stat: alarm.statistic === 'SampleCount' ? 'Maximum' : alarm.statistic,
          },
        },
      ],
    }),
  );
  const result = out.MetricDataResults?.[0];
  return (result?.Timestamps ?? [])
    .map((t, i) => ({ at: t.getTime(), value: result?.Values?.[i] ?? NaN }))
    .filter((p) => Number.isFinite(p.value))
    .sort((a, b) => a.at - b.at);
};

export interface AlarmTransition {
  alarmName: string;
  from: AlarmState;
  to: AlarmState;
  at: Date;
  reason: string;
}

/**
 * One alarm evaluated locally against the metrics in (emulated) CloudWatch. Like a real alarm it
 * starts in INSUFFICIENT_DATA and reports each state change once.
 */
export class LocalAlarm {
  state: AlarmState = 'INSUFFICIENT_DATA';
  readonly transitions: AlarmTransition[] = [];

  constructor(
    readonly definition: AlarmDefinition,
    private readonly client: CloudWatchClient,
    private readonly options: { settleMs?: number } = {},
  ) {}

  /** Reads the evaluation range and evaluates once; returns the transition, if the state changed. */
  async evaluate(now = Date.now()): Promise<AlarmTransition | null> {
    const rule = this.definition;
    const span = (evaluationRangeOf(rule) + 1) * rule.periodSeconds * 1000 + (this.options.settleMs ?? 1000);
    const points = await readAlarmDatapoints(this.client, rule, new Date(now - span), new Date(now));
    const { values } = periodValues(points, rule, now, this.options.settleMs);
    const verdict = evaluateAlarm(rule, values, this.state);
    if (verdict.state === this.state) return null;
    const transition = { alarmName: rule.alarmName, from: this.state, to: verdict.state, at: new Date(now), reason: verdict.reason };
    this.state = verdict.state;
    this.transitions.push(transition);
    return transition;
  }
}
