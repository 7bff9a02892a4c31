import { handler as monitorHandler } from '../functions/monitor/handler';
import { cloudWatchClient } from '../shared/aws/clients/cloudwatch';
import type { FailoverConfig } from '../shared/config/schema';
import { alarmDefinitions, type AlarmDefinition } from '../shared/infra/alarms';
import { LocalAlarm } from '../shared/local/alarm-evaluator';
import { resetEmulator } from '../test/harness/emulator';
import { LOCAL_DEPLOYMENT, startLocalStack, type LocalStack } from '../test/harness/local-stack';
import { progress } from './progress';
import { median, round, spread, type Spread } from './stats';

/** Detection target at the default settings. */
export const DETECTION_TARGET_SECONDS = 30;

export interface DetectionRule {
  label: string;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  sampleIntervalSeconds: number;
  /** Worst case: period × datapointsToAlarm + sampling interval. */
  boundSeconds: number;
  detectionSeconds: Spread;
  samples: number[];
}

export interface DetectionResult {
  trials: number;
  target: number;
  /** Where each primary stopped, in seconds after the monitor's previous sample. */
  faultPhasesSeconds: number[];
  /** Where each group's samples fall, in seconds after the start of a period. */
  samplePhasesSeconds: number[];
  rules: DetectionRule[];
  note: string;
}

/** The worst-case detection time of an M-of-N alarm over a sampled metric. Pure. */
export const detectionBoundSeconds = (rule: { periodSeconds: number; datapointsToAlarm: number }, sampleIntervalSeconds: number): number =>
  rule.periodSeconds * rule.datapointsToAlarm + sampleIntervalSeconds;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const invokeMonitor = (event: unknown) => (monitorHandler as unknown as (event: unknown, context: unknown) => Promise<unknown>)(event, {});

/** The example cluster listed `count` times under different names: each gets its own topology. */
const clusters = (count: number) => (config: FailoverConfig) => {
  const base = config.clusters[0]!;
  config.clusters = Array.from({ length: count }, (_, i) => ({ ...structuredClone(base), name: `${base.name}${i + 1}` }));
};

interface Trial {
  cluster: string;
  alarms: Array<{ label: string; alarm: LocalAlarm }>;
  faultAt?: number;
}

/**
 * The datapoints-to-alarm settings evaluated next to the default M of N: one more (fewer false
 * alarms, one period slower) and one fewer (one period faster), where they make sense. Pure.
 */
export const datapointVariants = (m: number, n: number): number[] => [m, ...(m + 1 <= n ? [m + 1] : []), ...(m - 1 >= 2 ? [m - 1] : [])];

const variants = (definition: AlarmDefinition): Array<{ label: string; definition: AlarmDefinition }> => {
  const { evaluationPeriods: n, datapointsToAlarm: m } = definition;
  return datapointVariants(m, n).map((k) => ({
    label: k === m ? `default (${m} of ${n})` : `${k} of ${n}`,
    definition: k === m ? definition : { ...definition, alarmName: `${definition.alarmName}-${k}-of-${n}`, datapointsToAlarm: k },
  }));
};

/**
 * Section 2: the time from a primary stop to the failover alarm's change to ALARM, with the monitor
 * on its deployed schedule (one invocation a minute, samplesPerInvocation samples
 * sampleIntervalSeconds apart, through the real handler) and the generated alarm evaluated locally
 * every second by shared/local/alarm-evaluator.ts. Several clusters run side by side; their
 * primaries stop at phases spread across one sampling interval. The same data is also evaluated with
 * one datapoint more and one fewer to alarm (the setting that trades detection time against false
 * positives).
 */
export const measureDetection = async (trials: number): Promise<DetectionResult> => {
  await resetEmulator(process.env.AWS_ENDPOINT_URL!);
  const stack: LocalStack = await startLocalStack({ mutate: clusters(trials) });
  const previous = { ...process.env };
  Object.assign(process.env, stack.env);
  let running = true;
  let stopWaiting = () => {};
  const stopped = new Promise<void>((resolve) => (stopWaiting = resolve));
  /** Sleeps, but not past the end of the measurement. */
  const pause = (ms: number) => Promise.race([sleep(ms), stopped]);
  const background: Array<Promise<unknown>> = [];
  try {
    const config = stack.config;
    const template = config.clusters[0]!;
    const intervalMs = template.monitor.sampleIntervalSeconds * 1000;
    const client = cloudWatchClient(config.controlRegion);
    const definitions = alarmDefinitions(config, LOCAL_DEPLOYMENT.prefix).filter((a) => a.triggersFailover);
    const runs: Trial[] = config.clusters.map((cluster) => ({
      cluster: cluster.name,
      alarms: variants(definitions.find((d) => d.cluster === cluster.name)!).map((v) => ({ label: v.label, alarm: new LocalAlarm(v.definition, client) })),
    }));
    // The deployed schedule: an invocation every minute, each sampling for about 50 s. Two groups of
    // clusters are sampled 5 s apart (a quarter and three quarters into a period), so that the
    // trials cover both where samples fall in a period and where the fault falls between samples.
    // Every alarm has fired within 30 s of each group's second invocation (faults are 20-30 s into
    // the first, the bound is 41 s), so that one is asked for half its samples: later samples
    // change nothing measured and would only keep the bench waiting.
    const periodMs = template.alarms.periodSeconds * 1000;
    const groups = [0, 1].map((g) => ({ offsetMs: (g * 2 + 1) * (periodMs / 4), runs: runs.filter((_, i) => i % 2 === g) }));
    const firstStart = Math.ceil((Date.now() + 1000) / periodMs) * periodMs;
    for (const group of groups) {
      const start = firstStart + group.offsetMs;
      const request = { clusters: group.runs.map((r) => r.cluster) };
      background.push(
        (async () => {
          await pause(start - Date.now());
          for (let k = 0; running; k += 1) {
            await invokeMonitor(k === 0 ? request : { ...request, samples: Math.ceil(template.monitor.samplesPerInvocation / 2) });
            await pause(Math.max(0, start + (k + 1) * 60000 - Date.now()));
          }
        })(),
      );
    }
    background.push(
      (async () => {
        while (running) {
          const tick = Date.now();
          await Promise.all(runs.flatMap((r) => r.alarms.map((a) => a.alarm.evaluate(tick))));
          await pause(Math.max(0, tick + 1000 - Date.now()));
        }
      })(),
    );
    const allAlarms = runs.flatMap((r) => r.alarms.map((a) => a.alarm));
    progress(`detection: ${trials} clusters monitored on the deployed schedule; waiting for their alarms to be OK`);
    while (!allAlarms.every((a) => a.state === 'OK')) await sleep(200);
    // Stop each primary at its own phase of the sampling interval, after its group's next sample.
    const phases = new Map<string, number>();
    const nextRound = Math.ceil((Date.now() - firstStart) / intervalMs) * intervalMs;
    await Promise.all(
      groups.flatMap((group) =>
        group.runs.map(async (run, i) => {
          const phase = ((i + 0.5) * intervalMs) / group.runs.length;
          phases.set(run.cluster, phase);
          await sleep(firstStart + group.offsetMs + nextRound + phase - Date.now());
          run.faultAt = Date.now();
          await stack.topologies[run.cluster]!.stop('primary', 'immediate');
        }),
      ),
    );
    progress('detection: primaries stopped; waiting for the alarms');
    const deadline = Date.now() + 90000;
    while (!allAlarms.every((a) => a.state === 'ALARM') && Date.now() < deadline) await sleep(200);
    const labels = runs[0]!.alarms.map((a) => a.label);
    const sampleSeconds = template.monitor.sampleIntervalSeconds;
    const rules = labels.map((label) => {
      const definition = runs[0]!.alarms.find((a) => a.label === label)!.alarm.definition;
      const samples = runs.map((run) => {
        const alarmed = run.alarms.find((a) => a.label === label)!.alarm.transitions.find((t) => t.to === 'ALARM' && t.at.getTime() >= run.faultAt!);
        return alarmed ? round((alarmed.at.getTime() - run.faultAt!) / 1000, 1) : NaN;
      });
      return {
        label,
        periodSeconds: definition.periodSeconds,
        evaluationPeriods: definition.evaluationPeriods,
        datapointsToAlarm: definition.datapointsToAlarm,
        sampleIntervalSeconds: sampleSeconds,
        boundSeconds: detectionBoundSeconds(definition, sampleSeconds),
        detectionSeconds: spread(samples),
        samples,
      };
    });
    for (const rule of rules) progress(`detection ${rule.label}: median ${median(rule.samples)} s (bound ${rule.boundSeconds} s)`);
    return {
      trials,
      target: DETECTION_TARGET_SECONDS,
      faultPhasesSeconds: runs.map((r) => round((phases.get(r.cluster) ?? NaN) / 1000, 2)),
      samplePhasesSeconds: groups.map((g) => round(g.offsetMs / 1000, 2)),
      rules,
      note: 'alarm evaluated locally every second over complete periods (1 s settle); CloudWatch adds its own evaluation and ingestion delay',
    };
  } finally {
    running = false;
    stopWaiting();
    await Promise.allSettled(background);
    for (const key of Object.keys(stack.env)) delete process.env[key];
    Object.assign(process.env, previous);
    await stack.teardown();
  }
};
