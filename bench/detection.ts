import { localHandlers } from '../local/handlers';
import { cloudWatchClient } from '../shared/aws/clients/cloudwatch';
import type { FailoverConfig } from '../shared/config/schema';
import { alarmDefinitions, type AlarmDefinition } from '../shared/infra/alarms';
import { LocalAlarm } from '../local/alarm-evaluator';
import { resetEmulator } from '../local/emulator';
import { LOCAL_DEPLOYMENT, startLocalStack, type LocalStack } from '../local/local-stack';
import { progress } from './progress';
import { round, spread, type Spread } from './stats';
import { sleep } from '../shared/time';

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
  /** Trials whose alarm did not change to ALARM within the wait. */
  missed: number;
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

const invokeMonitor = localHandlers.monitor;

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

/** Background loops that stop, sleeps included, when the measurement ends. */
class Background {
  private running = true;
  private stopWaiting = () => {};
  private readonly stopped = new Promise<void>((resolve) => (this.stopWaiting = resolve));
  private readonly tasks: Array<Promise<unknown>> = [];

  get active(): boolean {
    return this.running;
  }

  /** Sleeps, but not past the end of the measurement. */
  pause(ms: number): Promise<unknown> {
    return Promise.race([sleep(ms), this.stopped]);
  }

  run(task: () => Promise<unknown>): void {
    this.tasks.push(task());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopWaiting();
    await Promise.allSettled(this.tasks);
  }
}

interface Group {
  /** Where this group's samples fall in a period, ms after its start. */
  offsetMs: number;
  runs: Trial[];
}

/**
 * The deployed schedule, per group: an invocation every minute, each sampling for about 50 s.
 * Every alarm has fired within 30 s of a group's second invocation (faults are 20-30 s into the
 * first, the slowest bound is 41 s), so that one is asked for half its samples: later samples
 * change nothing measured and would only keep the bench waiting.
 */
const scheduleMonitor = (background: Background, group: Group, start: number, samplesPerInvocation: number): void => {
  const request = { clusters: group.runs.map((r) => r.cluster) };
  background.run(async () => {
    await background.pause(start - Date.now());
    for (let k = 0; background.active; k += 1) {
      await invokeMonitor(k === 0 ? request : { ...request, samples: Math.ceil(samplesPerInvocation / 2) });
      await background.pause(Math.max(0, start + (k + 1) * 60000 - Date.now()));
    }
  });
};

/** Evaluates every alarm once a second, as the drill does. */
const evaluateAlarms = (background: Background, runs: Trial[]): void =>
  background.run(async () => {
    while (background.active) {
      const tick = Date.now();
      await Promise.all(runs.flatMap((r) => r.alarms.map((a) => a.alarm.evaluate(tick))));
      await background.pause(Math.max(0, tick + 1000 - Date.now()));
    }
  });

/** Stops each group's primaries at phases spread over one sampling interval, after the group's next sample. */
const stopPrimaries = async (stack: LocalStack, groups: Group[], firstStart: number, intervalMs: number): Promise<Map<string, number>> => {
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
  return phases;
};

/** Each rule's detection times: fault → its first change to ALARM after the fault. */
const ruleResults = (runs: Trial[], sampleSeconds: number): DetectionRule[] =>
  runs[0]!.alarms.map(({ label, alarm: { definition } }) => {
    const samples = runs.flatMap((run) => {
      const alarm = run.alarms.find((a) => a.label === label)!.alarm;
      const alarmed = alarm.transitions.find((t) => t.to === 'ALARM' && t.at.getTime() >= run.faultAt!);
      return alarmed ? [round((alarmed.at.getTime() - run.faultAt!) / 1000, 1)] : [];
    });
    return {
      label,
      periodSeconds: definition.periodSeconds,
      evaluationPeriods: definition.evaluationPeriods,
      datapointsToAlarm: definition.datapointsToAlarm,
      sampleIntervalSeconds: sampleSeconds,
      boundSeconds: detectionBoundSeconds(definition, sampleSeconds),
      detectionSeconds: samples.length > 0 ? spread(samples) : { n: 0, min: NaN, median: NaN, max: NaN },
      samples,
      missed: runs.length - samples.length,
    };
  });

const waitUntil = async (condition: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(200);
};

/**
 * Section 2: the time from a primary stop to the failover alarm's change to ALARM, with the monitor
 * on its deployed schedule (one invocation a minute, samplesPerInvocation samples
 * sampleIntervalSeconds apart, through the real handler) and the generated alarm evaluated locally
 * every second by local/alarm-evaluator.ts. Several clusters run side by side in two groups
 * sampled a quarter and three quarters into a period, and their primaries stop at phases spread
 * across one sampling interval, so the trials cover where samples fall in a period and where the
 * fault falls between samples. The same data is also evaluated with one datapoint more and one
 * fewer to alarm (the setting that trades detection time against false positives).
 */
export const measureDetection = async (trials: number): Promise<DetectionResult> => {
  await resetEmulator(process.env.AWS_ENDPOINT_URL!);
  const stack: LocalStack = await startLocalStack({ mutate: clusters(trials) });
  const previous = { ...process.env };
  Object.assign(process.env, stack.env);
  const background = new Background();
  try {
    const { config } = stack;
    const template = config.clusters[0]!;
    const intervalMs = template.monitor.sampleIntervalSeconds * 1000;
    const periodMs = template.alarms.periodSeconds * 1000;
    const client = cloudWatchClient(config.controlRegion);
    const definitions = alarmDefinitions(config, LOCAL_DEPLOYMENT.prefix).filter((a) => a.triggersFailover);
    const runs: Trial[] = config.clusters.map((cluster) => ({
      cluster: cluster.name,
      alarms: variants(definitions.find((d) => d.cluster === cluster.name)!).map((v) => ({ label: v.label, alarm: new LocalAlarm(v.definition, client) })),
    }));
    const groups: Group[] = [0, 1].map((g) => ({ offsetMs: ((g * 2 + 1) * periodMs) / 4, runs: runs.filter((_, i) => i % 2 === g) }));
    const firstStart = Math.ceil((Date.now() + 1000) / periodMs) * periodMs;
    for (const group of groups) scheduleMonitor(background, group, firstStart + group.offsetMs, template.monitor.samplesPerInvocation);
    evaluateAlarms(background, runs);
    const alarms = runs.flatMap((r) => r.alarms.map((a) => a.alarm));
    progress(`detection: ${trials} clusters monitored on the deployed schedule; waiting for their alarms to be OK`);
    await waitUntil(() => alarms.every((a) => a.state === 'OK'), 120000);
    const phases = await stopPrimaries(stack, groups, firstStart, intervalMs);
    progress('detection: primaries stopped; waiting for the alarms');
    await waitUntil(() => alarms.every((a) => a.state === 'ALARM'), 90000);
    const rules = ruleResults(runs, template.monitor.sampleIntervalSeconds);
    for (const rule of rules) progress(`detection ${rule.label}: median ${rule.detectionSeconds.median} s (bound ${rule.boundSeconds} s)`);
    return {
      trials,
      target: DETECTION_TARGET_SECONDS,
      faultPhasesSeconds: runs.map((r) => round((phases.get(r.cluster) ?? NaN) / 1000, 2)),
      samplePhasesSeconds: groups.map((g) => round(g.offsetMs / 1000, 2)),
      rules,
      note: 'alarm evaluated locally every second over complete periods (1 s settle); CloudWatch adds its own evaluation and ingestion delay',
    };
  } finally {
    await background.stop();
    for (const key of Object.keys(stack.env)) delete process.env[key];
    Object.assign(process.env, previous);
    await stack.teardown();
  }
};
