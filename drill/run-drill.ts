import { writeFileSync } from 'node:fs';
import { EXAMPLE_CONFIG_FILE } from '../shared/config/load';
import type { ClusterConfig } from '../shared/config/schema';
import type { Receipt } from '../shared/decisions/receipt';
import { alarmDefinitions, type AlarmDefinition } from '../shared/infra/alarms';
import type { DrillReport, DrillScenario } from './drill-report';
import { renderReportHtml } from './report-html';
import { setLogSink } from '../shared/log';
import { LOCAL_DEPLOYMENT } from '../local/local-stack';
import { waitFor } from '../local/wait';
import { AckedWriter } from '../local/workload';
import { AppClient, availability } from './app-client';
import { AlarmWatch, MonitorLoop } from './control-plane';
import { checkExpectations, outcomeOf } from './expectations';
import { keepStack } from './keep';
import { Progress } from './progress';
import { assembleReport, shortenedKnobs } from './report';
import { castOf, scenarioNamed, type Cast, type Expectation, type Scenario } from './scenarios';
import type { DrillRunState } from './run-state';
import { readDrillSeries } from './series';
import { startDrillStack, type DrillStack } from './stack';
import { observeEndState, type EndState } from './verify';
import { sleep } from '../shared/time';

export interface DrillOptions {
  scenario: DrillScenario;
  /** @default config/clusters.example.yml */
  configFile?: string;
  cluster?: string;
  jsonFile?: string;
  htmlFile?: string;
  logFile?: string;
  /** Leave the stack running (see the report's `kept`). */
  keep?: boolean;
  /** An emulator to use instead of starting one (the integration tests share theirs). */
  emulatorEndpoint?: string;
  /** Progress lines. @default stdout */
  print?: (line: string) => void;
  /** Aborts the drill (Ctrl-C); it still tears down. */
  signal?: AbortSignal;
  /** Monitor: milliseconds between samples within an invocation (deployed: sampleIntervalSeconds). @default 1000 */
  sampleIntervalMs?: number;
  /** Local alarm evaluation interval. @default 1000 */
  alarmTickMs?: number;
  /** How long Route 53 changes stay PENDING. @default ROUTE53_PROPAGATION_MS (local/route53-propagation.ts) */
  dnsPendingMs?: number;
}

/** Rejects when `promise` has not settled within `ms`; the timer never outlives it. */
const withTimeout = async <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
};
const APP_RECOVERY_TIMEOUT_MS = 30_000;

/** Every wait has a deadline derived from the configuration. */
const deadlines = (cluster: ClusterConfig, alarm: AlarmDefinition) => {
  const periodMs = alarm.periodSeconds * 1000;
  const range = alarm.evaluationPeriods + 2;
  const { policy } = cluster;
  return {
    alarmOk: (range + 1) * periodMs + 20_000,
    detection: (range + 2) * periodMs + 30_000,
    execution: (policy.recheckDeadlineSeconds + (policy.rechecks + 1) * (policy.recheckAfterSeconds + 60) + policy.fenceTimeoutSeconds + policy.promoteTimeoutSeconds + policy.dnsSyncTimeoutSeconds + 60) * 1000,
  };
};

/** One drill: the state it builds up, so that a report can be written however far it got. */
class DrillRun implements DrillRunState {
  readonly progress: Progress;
  readonly scenario: Scenario;
  drill: DrillStack | undefined;
  cast: Cast | undefined;
  expected: Expectation | undefined;
  alarm: AlarmDefinition | undefined;
  monitor: MonitorLoop | undefined;
  watch: AlarmWatch | undefined;
  writer: AckedWriter | undefined;
  app: AppClient | undefined;
  faultAt: number | null = null;
  detectedAt: number | null = null;
  receipt: unknown = null;
  reasons: string[] = [];
  endState: EndState | undefined;
  ackedRowsLost: number | null = null;
  dnsRtoMs: number | null = null;
  series: DrillReport['series'] | undefined;
  kept: DrillReport['kept'] = null;
  problems: string[] = [];
  error: string | null = null;

  constructor(readonly options: DrillOptions) {
    this.progress = new Progress(options.print ?? ((line) => process.stdout.write(`${line}\n`)));
    this.scenario = scenarioNamed(options.scenario);
  }

  private waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
    return waitFor(what, probe, { timeoutMs, intervalMs: 100 });
  }

  async run(): Promise<void> {
    const { progress, scenario, options } = this;
    const drill = await progress.step(
      'stack up',
      () =>
        startDrillStack({
          configFile: options.configFile ?? EXAMPLE_CONFIG_FILE,
          ...(options.cluster ? { cluster: options.cluster } : {}),
          ...(options.emulatorEndpoint ? { emulatorEndpoint: options.emulatorEndpoint } : {}),
          detachEmulator: options.keep ?? false,
          ...(options.dnsPendingMs !== undefined ? { dnsPendingMs: options.dnsPendingMs } : {}),
        }),
      (d) => `${d.cluster.name}: ${d.cluster.nodes.map((n) => `${n.name} ${n.host}:${n.port}`).join(', ')}; emulator ${d.emulatorEndpoint}`,
    );
    this.drill = drill;
    const cast = (this.cast = castOf(drill.cluster));
    this.expected = scenario.expect(cast);
    const alarm = (this.alarm = alarmDefinitions(drill.stack.config, LOCAL_DEPLOYMENT.prefix).find((a) => a.cluster === drill.cluster.name && a.triggersFailover)!);
    const limits = deadlines(drill.cluster, alarm);
    await progress.step('warm-up', () => this.warmUp(limits.alarmOk), (note) => note);
    await progress.step('fault', () => this.inject(), (note) => note);
    if (scenario.alarmDriven) await this.respond(limits);
    await this.awaitApplication();
    if (scenario.afterWorkflow) {
      await progress.step('fault ends', () => scenario.afterWorkflow!(drill, cast, (what, probe, timeoutMs) => this.waitFor(what, probe, timeoutMs)), (note) => note);
    }
    await this.markDns();
    this.endState = await progress.step('verify', () => this.verify(), (s) => `writers: ${s.writers.join(', ') || 'none'}; DNS → ${s.dns.target}`);
  }

  /** Workload, application and monitor running; the failover alarm evaluated and OK. */
  private async warmUp(alarmOkTimeout: number): Promise<string> {
    const drill = this.drill!;
    const { primary } = this.cast!;
    const monitorStart = Date.now();
    this.monitor = new MonitorLoop(this.options.sampleIntervalMs ?? 1000);
    this.monitor.start();
    const login = drill.stack.logins[drill.cluster.name]!.app;
    this.writer = new AckedWriter({ host: primary.host, port: primary.port, database: drill.cluster.database, ...login }, this.scenario.payloadBytes);
    await this.writer.start();
    const parameter = drill.cluster.databaseUrlParameters.find((p) => p.region !== primary.region) ?? drill.cluster.databaseUrlParameters[0]!;
    this.app = new AppClient(parameter);
    await this.app.start();
    const prepared = await this.scenario.prepare(drill, this.cast!, (what, probe, timeoutMs) => this.waitFor(what, probe, timeoutMs));
    // The alarm is evaluated once a whole period holds monitor data, as a real alarm created on a
    // metric with data would be.
    const periodMs = this.alarm!.periodSeconds * 1000;
    await sleep(Math.max(0, Math.ceil(monitorStart / periodMs) * periodMs + 1100 - Date.now()));
    this.watch = new AlarmWatch(this.alarm!, drill.stack.config.controlRegion, (event) => drill.trigger(event), this.options.alarmTickMs ?? 1000);
    this.watch.start();
    await this.waitFor(`the failover alarm ${this.alarm!.alarmName} to be OK`, async () => this.watch!.alarm.state === 'OK', alarmOkTimeout);
    return [prepared, `alarm OK, ${this.writer.acked.length} rows acknowledged, application writing to ${this.app.target}`].filter(Boolean).join('; ');
  }

  private async inject(): Promise<string> {
    this.faultAt = Date.now();
    const injected = await this.scenario.inject(this.drill!, this.cast!);
    await this.writer!.stop();
    if (typeof injected === 'string') return injected;
    this.receipt = injected.receipt;
    this.reasons = injected.receipt.reasons;
    return injected.description;
  }

  /** Detection by the alarm, the trigger, and the workflow run by the local state machine. */
  private async respond(limits: ReturnType<typeof deadlines>): Promise<void> {
    const { progress } = this;
    const watch = this.watch!;
    const transition = await this.waitFor(
      'the failover alarm to enter ALARM',
      async () => watch.transitions.find((t) => t.to === 'ALARM' && t.at.getTime() >= this.faultAt!),
      limits.detection,
    );
    this.detectedAt = transition.at.getTime();
    progress.mark('detection', this.faultAt!, this.detectedAt);
    progress.say(`alarm ${transition.alarmName} → ALARM after ${((this.detectedAt - this.faultAt!) / 1000).toFixed(1)} s: ${transition.reason}`);
    const delivery = await this.waitFor('the alarm event to reach the trigger', async () => watch.deliveries[0], 30_000);
    const trigger = delivery.result as { started: boolean; executionName?: string; reason: string };
    progress.say(`trigger: ${trigger.reason}`);
    if (!trigger.executionName) throw new Error(`the trigger started no execution: ${trigger.reason}`);
    const running = this.drill!.machine.executions().get(trigger.executionName)!;
    const execution = await withTimeout(running, limits.execution, 'the workflow');
    const first = execution.states[0]?.startMs ?? Date.now();
    progress.mark('failover workflow', first, execution.states.at(-1)?.endMs ?? Date.now());
    // Task and Wait states; Choice states (named "...?") take no time and only clutter the timeline.
    for (const state of execution.states.filter((s) => !s.name.endsWith('?'))) progress.mark(state.name, state.startMs, state.endMs ?? state.startMs);
    progress.say(`failover workflow: ${execution.status}, ${(execution.output as Receipt | null)?.outcome ?? execution.error} (${((Date.now() - first) / 1000).toFixed(1)} s)`);
    this.receipt = execution.output;
    const receipt = execution.output as Partial<Receipt> | null;
    this.reasons = receipt?.reasons ?? [receipt && 'reason' in receipt ? String((receipt as { reason: unknown }).reason) : `${execution.error}: ${execution.cause}`];
    for (const reason of this.reasons) progress.say(`  reason: ${reason}`);
  }

  /** Waits for the application to write again when traffic moved; otherwise watches it a moment. */
  private async awaitApplication(): Promise<void> {
    const app = this.app!;
    if (this.expected!.outcome !== 'promoted' || (this.receipt as { outcome?: string } | null)?.outcome === 'no-failover') {
      await sleep(2000);
      return;
    }
    const started = Date.now();
    try {
      const rto = await this.waitFor(
        'the application to write through DATABASE_URL again',
        async () => {
          const seen = availability(app.attempts, this.faultAt, Date.now());
          return seen.interrupted && seen.recovered ? seen.rtoMs : false;
        },
        APP_RECOVERY_TIMEOUT_MS,
      );
      this.progress.mark('application reconnected', this.faultAt!, this.faultAt! + (rto ?? 0));
      this.progress.say(`application wrote to ${app.target} ${((rto ?? 0) / 1000).toFixed(1)} s after the fault (DATABASE_URL read ${app.urlReads} times)`);
    } catch (error) {
      this.progress.mark('application reconnected', started, Date.now());
      this.problems.push((error as Error).message);
    }
  }

  /**
   * DNS as its own bar: Route 53 PENDING → INSYNC of the change that moved the record (modelled by
   * the drill's proxy); the drill waits for INSYNC when the workflow stopped waiting before it. The
   * RTO through DNS adds the record's TTL, during which a resolver may still serve the old target.
   */
  private async markDns(): Promise<void> {
    const drill = this.drill!;
    const change = drill.faults.route53.changes().filter((c) => this.faultAt !== null && c.acceptedAt >= this.faultAt).at(-1);
    if (!change || this.faultAt === null) return;
    if (change.inSyncAt > Date.now()) {
      this.progress.say(`waiting ${((change.inSyncAt - Date.now()) / 1000).toFixed(1)} s for the record to be INSYNC (modelled propagation)`);
      await sleep(change.inSyncAt - Date.now());
    }
    this.progress.mark('DNS propagation (Route 53 PENDING → INSYNC)', change.acceptedAt, change.inSyncAt);
    this.dnsRtoMs = change.inSyncAt + drill.cluster.route53.ttl * 1000 - this.faultAt;
  }

  private async verify(): Promise<EndState> {
    const drill = this.drill!;
    await Promise.all([this.app?.stop(), this.monitor?.stop(), this.watch?.stop()]);
    const state = await observeEndState(drill.cluster, drill.topology, this.cast!.primary.name);
    const holder = outcomeOf(state.writers, this.cast!.primary.name).promoted ?? (state.writers.includes(this.cast!.primary.name) ? this.cast!.primary.name : null);
    const node = drill.cluster.nodes.find((n) => n.name === holder);
    if (node && this.writer) {
      const login = drill.stack.logins[drill.cluster.name]!.app;
      this.ackedRowsLost = (await this.writer.lostOn({ host: node.host, port: node.port, database: drill.cluster.database, ...login })).lost;
    }
    this.series = await readDrillSeries(drill.stack.config, drill.cluster, this.progress.startedAt).catch(() => undefined);
    return state;
  }

  /** Stops everything this process runs; tears the stack down unless it is to be kept. */
  async finish(keep: boolean): Promise<void> {
    const drill = this.drill;
    await Promise.allSettled([this.app?.stop(), this.monitor?.stop(), this.watch?.stop(), this.writer?.stop()]);
    if (!drill) return;
    if (keep) {
      await this.scenario.restore?.(drill, this.cast!).catch(() => undefined);
      this.kept = await keepStack(drill);
      await drill.release({ keep: true });
      this.progress.say(`stack kept: npm run drill -- --down removes it (state in ${this.kept.stateFile})`);
      return;
    }
    // Paths a scenario cut for the control plane run through this process: close them first.
    await this.scenario.restore?.(drill, this.cast!).catch(() => undefined);
    await this.progress.step('teardown', () => drill.release({ keep: false }));
  }

  report(): DrillReport {
    const drill = this.drill;
    const endState = this.endState;
    const app = availability(this.app?.attempts ?? [], this.faultAt, Date.now());
    const problems = [...this.problems];
    if (this.error) problems.unshift(this.error);
    else if (endState && this.expected && this.cast && drill) {
      problems.push(
        ...checkExpectations(
          this.expected,
          { writers: endState.writers, dnsTarget: endState.dns.target, ssm: endState.ssm, reasons: this.reasons, ackedRowsLost: this.ackedRowsLost, oldPrimaryFenced: endState.oldPrimaryFenced, app },
          this.cast,
          drill.cluster.nodes,
        ),
      );
    }
    return assembleReport({
      run: this,
      app,
      problems,
      shortened: drill ? shortenedKnobs(drill.cluster, this.options.sampleIntervalMs ?? 1000) : [],
    });
  }
}

const abortPromise = (signal: AbortSignal | undefined): Promise<never> =>
  new Promise((_, reject) => {
    if (!signal) return;
    const fail = () => reject(new Error(`drill interrupted (${String(signal.reason ?? 'aborted')})`));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });

/**
 * Runs one drill end to end on this machine: stack up, workload and application, monitoring and
 * alarm as deployed, the scenario's fault, the real trigger and workflow, an independent check of
 * the end state, and the report. Always tears down (also on failure or abort) unless `keep`.
 * Never throws for a drill that ran and failed: `passed` and `problems` say so.
 */
export const runDrill = async (options: DrillOptions): Promise<DrillReport> => {
  const run = new DrillRun(options);
  const logs: string[] = [];
  const previousSink = setLogSink((line) => logs.push(line));
  try {
    const main = run.run();
    main.catch(() => undefined);
    await Promise.race([main, abortPromise(options.signal)]);
  } catch (error) {
    run.error = (error as Error).message;
    run.progress.say(`FAILED: ${run.error}`);
  }
  try {
    await run.finish(Boolean(options.keep) && run.drill !== undefined && !options.signal?.aborted);
  } catch (error) {
    run.problems.push(`teardown: ${(error as Error).message}`);
  } finally {
    setLogSink(previousSink);
  }
  const report = run.report();
  if (options.logFile) writeFileSync(options.logFile, logs.map((l) => `${l}\n`).join(''));
  if (options.jsonFile) writeFileSync(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  if (options.htmlFile) writeFileSync(options.htmlFile, renderReportHtml(report));
  return report;
};
