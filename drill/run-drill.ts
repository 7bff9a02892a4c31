import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { dynamoClient } from '../shared/aws/clients/dynamodb';
import { ssmClient } from '../shared/aws/clients/ssm';
import { LeaseStore } from '../shared/aws/lease';
import { readParameterFresh } from '../shared/aws/ssm';
import { databaseUrlTarget } from '../shared/database-url';
import { SplitBrainProbe, type ProbeRound } from '../local/split-brain-probe';
import { sequenceNamed } from './sequences';
import { legProblems, lossOf, observeRoles, sequenceProblems, type LegExpectation, type LegOutcome, type LegSpec, type Roles, type SequenceSpec } from './legs';
import { EXAMPLE_CONFIG_FILE } from '../shared/config/load';
import type { ClusterConfig, FailoverConfig } from '../shared/config/schema';
import type { Receipt } from '../shared/decisions/receipt';
import type { LocalExecution } from '../local/state-machine';
import type { TriggerResult } from '../local/handlers';
import { alarmDefinitions, type AlarmDefinition } from '../shared/infra/alarms';
import { SEQUENCE_SCENARIOS, type ConvergenceFigures, type DrillLeg, type DrillReport, type DrillScenario, type SequenceScenario, type SingleFaultScenario, type StackTurn } from './drill-report';
import { renderReportHtml } from './report-html';
import { setLogSink } from '../shared/log';
import { LOCAL_DEPLOYMENT } from '../local/local-stack';
import { waitFor } from '../local/wait';
import { AckedWriter } from '../local/workload';
import { AppClient, availability } from './app-client';
import { DrillControlPlane, MonitorLoop, type ConvergeSchedule, type AlarmWatch } from './control-plane';
import { checkExpectations, convergenceProblems, outcomeOf } from './expectations';
import { keepStack } from './keep';
import { Progress } from './progress';
import { assembleReport, shortenedKnobs } from './report';
import { castOf, commitGapOf, scenarioNamed, type Cast, type Expectation, type Scenario } from './scenarios';
import type { DrillRunState } from './run-state';
import { readDrillSeries } from './series';
import { observerRegion, startDrillStack, type DrillStack } from './stack';
import { inRegionStreaming, observeEndState, type EndState } from './verify';
import { clusterRecordStore } from '../shared/workflow/environment';

/** Issue 22: a new writer with an in-region standby streaming has a synchronous standby within this of the drill seeing it stream. */
const SYNCHRONOUS_WITHIN_MS = 60_000;
import { sleep } from '../shared/time';
import { formatDuration } from '../shared/units';

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
  /** Milliseconds to wait after the alarm is OK before the fault (the bench spreads faults over a period). @default 0 */
  faultDelayMs?: number;
}

/** Rejects when `promise` has not settled within `ms`; the timer never outlives it. */
const withTimeout = async <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${formatDuration(ms)}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
};
const APP_RECOVERY_TIMEOUT_MS = 30_000;

/** What one fault (or operator action) produced: the single-fault run is one, each leg of a sequence is one. */
export interface FaultWindow {
  faultAt: number | null;
  detectedAt: number | null;
  receipt: unknown;
  reasons: string[];
  dnsRtoMs: number | null;
  /** With a control plane per region: every execution the stacks' triggers started, and how it ended. */
  stacks?: StackTurn[];
}

/** Receipts of executions that did not act on the incident: another stack held it, or this one is passive for the cluster. */
const PASSED_OVER = new Set(['lease-held', 'passive']);

type Deadlines = ReturnType<typeof deadlines>;

/** Every wait has a deadline derived from the configuration. */
const deadlines = (cluster: ClusterConfig, alarm: AlarmDefinition) => {
  const periodMs = alarm.periodSeconds * 1000;
  const range = alarm.evaluationPeriods + 2;
  const { policy } = cluster;
  return {
    alarmOk: (range + 1) * periodMs + 20_000,
    afterTransient: (alarm.evaluationPeriods + 1) * periodMs + 5_000,
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
  /** The scheduled convergence, for scenarios that have it run (`convergence`). */
  schedule: ConvergeSchedule | undefined;
  /** Each control region's stack as the drill runs it, the home region's first (its monitor, watch and schedule are the ones above). */
  planes: DrillControlPlane[] = [];
  convergence: ConvergenceFigures | null = null;
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
  legs: DrillLeg[] | undefined;
  probe: DrillReport['probe'] | undefined;
  commitGapMs: DrillReport['commitGapMs'];
  synchronousAfter: DrillReport['synchronousAfter'];
  /** The split-brain probe: every 200 ms, which nodes take an application's write. */
  protected probeRun: SplitBrainProbe | undefined;

  constructor(
    readonly options: DrillOptions,
    scenario?: Scenario,
  ) {
    this.progress = new Progress(options.print ?? ((line) => process.stdout.write(`${line}\n`)));
    this.scenario = scenario ?? scenarioNamed(options.scenario as SingleFaultScenario);
  }

  protected waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
    return waitFor(what, probe, { timeoutMs, intervalMs: 100 });
  }

  /** The stack, the cast and the failover alarm; a sequence may change the drill's copy of the configuration. */
  protected async stackUp(sequence?: { mutate: (config: FailoverConfig) => void; everyControlRegion?: boolean }): Promise<DrillStack> {
    const { progress, options } = this;
    const drill = await progress.step(
      'stack up',
      () =>
        startDrillStack({
          configFile: options.configFile ?? EXAMPLE_CONFIG_FILE,
          ...(options.cluster ? { cluster: options.cluster } : {}),
          ...(options.emulatorEndpoint ? { emulatorEndpoint: options.emulatorEndpoint } : {}),
          detachEmulator: options.keep ?? false,
          ...(options.dnsPendingMs !== undefined ? { dnsPendingMs: options.dnsPendingMs } : {}),
          ...(sequence ? { mutate: sequence.mutate, bootInstances: true } : {}),
          ...(this.scenario.agents || sequence?.everyControlRegion ? { agents: true } : {}),
          ...(sequence?.everyControlRegion ? { everyControlRegion: true } : {}),
        }),
      (d) => `${d.cluster.name}: ${d.cluster.nodes.map((n) => `${n.name} ${n.host}:${n.port}`).join(', ')}; emulator ${d.emulatorEndpoint}`,
    );
    this.drill = drill;
    this.cast = castOf(drill.cluster);
    this.alarm = alarmDefinitions(drill.stack.config, LOCAL_DEPLOYMENT.prefix).find((a) => a.cluster === drill.cluster.name && a.triggersFailover)!;
    return drill;
  }

  async run(): Promise<void> {
    const { progress, scenario } = this;
    const drill = await this.stackUp();
    const cast = this.cast!;
    this.expected = scenario.expect(cast);
    const limits = deadlines(drill.cluster, this.alarm!);
    this.probeRun = this.startProbe(drill);
    await progress.step('warm-up', () => this.warmUp(limits.alarmOk), (note) => note);
    if (this.options.faultDelayMs) await sleep(this.options.faultDelayMs);
    await progress.step('fault', () => this.inject(), (note) => note);
    if (scenario.alarmDriven) await this.respond(limits, this);
    // A fault that outlasts the workflow ends first: the application may only move once it has.
    if (scenario.afterWorkflow) await progress.step('fault ends', () => this.faultEnds(), (note) => note);
    await this.awaitApplication(this, this.expected.outcome === 'promoted' && (this.receipt as { outcome?: string } | null)?.outcome !== 'no-failover');
    if (this.expected.outcome === 'promoted') await progress.step('synchronous standby', () => this.synchronousCheck(), (note) => note);
    this.commitGapMs = commitGapOf(drill) ?? null;
    await this.markDns(this);
    this.endState = await progress.step('verify', () => this.verify(), (s) => `writers: ${s.writers.join(', ') || 'none'}; DNS → ${s.dns.target}`);
  }

  /**
   * Issue 22: a new writer with a standby streaming from it in its own region has a synchronous
   * standby in the cluster record within 60 s of the drill first seeing that standby stream (the
   * monitor still running); waits for it until then, and records what it found.
   */
  private async synchronousCheck(): Promise<string> {
    const drill = this.drill!;
    const faultAt = this.faultAt ?? Date.now();
    const state = await observeEndState(drill.cluster, drill.topology, this.cast!.primary.name);
    const writer = state.writers.length === 1 ? state.writers[0]! : null;
    if (writer === null || writer === this.cast!.primary.name) return 'no new writer to check';
    const streaming = inRegionStreaming(drill.cluster.nodes, state.nodes, writer);
    if (streaming.length === 0) return `no standby streams from ${writer} in its region: nothing to make synchronous`;
    const records = clusterRecordStore(drill.stack.config);
    const named = async () => {
      const record = await records.read(drill.cluster.name);
      return record?.writer === writer && record.synchronous?.writer === writer ? record.synchronous.node : null;
    };
    // From the first sight of it streaming: a switchover's own rejoin may end after the 60 s from the fault.
    const streamingSince = Date.now();
    let recorded = await named();
    while (recorded === null && Date.now() < streamingSince + SYNCHRONOUS_WITHIN_MS) {
      await sleep(500);
      recorded = await named();
    }
    const last = this.monitor?.synchronous.filter((o) => o.cluster === drill.cluster.name).at(-1);
    const monitorSaid = last ? (last.deferred ?? last.page ?? last.verdict?.reason ?? null) : null;
    this.synchronousAfter = { writer, inRegionStreaming: streaming, recorded, checkedAtMs: Date.now() - faultAt, waitedMs: Date.now() - streamingSince, leftWithout: recorded === null, monitorSaid };
    return recorded === null
      ? `${writer} has no synchronous standby ${formatDuration(Date.now() - streamingSince)} after ${streaming.join(', ')} was seen streaming from it in its region (the monitor: ${monitorSaid ?? 'no outcome yet'})`
      : `${writer}'s synchronous standby is ${recorded} (recorded ${formatDuration(Date.now() - faultAt)} after the fault, ${formatDuration(Date.now() - streamingSince)} after ${streaming.join(', ')} was seen streaming)`;
  }

  /** The scenario ends its fault; what the convergence finished, and the execution that settled the incident, are kept. */
  private async faultEnds(): Promise<string> {
    const end = await this.scenario.afterWorkflow!(this.drill!, this.cast!, (what, probe, timeoutMs) => this.waitFor(what, probe, timeoutMs));
    if (typeof end === 'string') return end;
    const started = end.execution && this.watch!.deliveries.some((d) => (d.result as { executionName?: string } | null)?.executionName === end.execution!.name);
    this.convergence = {
      ...end.convergence,
      ...(end.execution ? { startedBy: started ? 'alarm' : 'convergence' } : {}),
      invocations: 0,
    };
    if (end.execution) {
      this.progress.say(`${end.execution.name}: ${end.execution.status}, ${(end.execution.output as Receipt | null)?.outcome ?? end.execution.error}`);
      this.takeExecution(this, end.execution);
    }
    return end.description;
  }

  /** The execution's receipt and reasons become the window's (an execution that failed: its error). */
  protected takeExecution(window: FaultWindow, execution: LocalExecution): void {
    window.receipt = execution.output;
    const receipt = execution.output as Partial<Receipt> | null;
    window.reasons = receipt?.reasons ?? [receipt && 'reason' in receipt ? String((receipt as { reason: unknown }).reason) : `${execution.error}: ${execution.cause}`];
    for (const reason of window.reasons) this.progress.say(`  reason: ${reason}`);
  }

  /** Workload, application and monitor running; the failover alarm evaluated and OK. */
  protected async warmUp(alarmOkTimeout: number): Promise<string> {
    const drill = this.drill!;
    const { primary } = this.cast!;
    const monitorStart = Date.now();
    this.monitor = new MonitorLoop(this.options.sampleIntervalMs ?? 1000);
    this.planes = drill.stacks.map((stack, i) => new DrillControlPlane(stack, i === 0 ? this.monitor! : new MonitorLoop(this.options.sampleIntervalMs ?? 1000, stack.handlers.monitor)));
    for (const plane of this.planes) plane.monitor.start();
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
    const scenario = this.scenario;
    for (const plane of this.planes) {
      const deliver = async (event: unknown) => {
        await scenario.onAlarm?.(drill, this.cast!);
        return plane.stack.trigger(event);
      };
      plane.watchAlarm(this.alarm!, this.options.alarmTickMs ?? 1000, deliver);
      if (this.scenario.convergence) plane.runSchedule();
    }
    drill.controlPlaneDown = async (region) => this.planes.find((p) => p.region === region)!.down();
    this.watch = this.planes[0]!.watch;
    this.schedule = this.planes[0]!.schedule;
    await this.waitFor(`the failover alarm ${this.alarm!.alarmName} to be OK${this.planes.length > 1 ? ' in every control region' : ''}`, async () => this.alarmsOk(), alarmOkTimeout);
    return [prepared, `alarm OK, ${this.writer.acked.length} rows acknowledged, application writing to ${this.app.target}`].filter(Boolean).join('; ');
  }

  /** Every running stack's failover alarm is OK. */
  protected alarmsOk(): boolean {
    return this.planes.filter((p) => p.up).every((p) => p.watch?.alarm.state === 'OK');
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

  /** Detection by the alarm, the trigger, and the workflow run by the local state machine; what it found goes into `window`. */
  protected async respond(limits: Deadlines, window: FaultWindow): Promise<void> {
    const { progress } = this;
    const live = this.planes.filter((p) => p.up);
    const faultAt = window.faultAt!;
    // The first stack's alarm to fire after the fault (each control region evaluates its own).
    const fired = async () =>
      live
        .flatMap((p) => p.watch!.transitions.filter((t) => t.to === 'ALARM' && t.at.getTime() >= faultAt))
        .sort((a, b) => a.at.getTime() - b.at.getTime())[0];
    // A transient fault that has ended by now: the alarm may fire up to a full evaluation range later, or never.
    const transition = this.scenario.alarmOptional
      ? await this.waitFor('the failover alarm to enter ALARM', fired, limits.afterTransient).catch(() => undefined)
      : await this.waitFor('the failover alarm to enter ALARM', fired, limits.detection);
    if (!transition) {
      progress.say(`the failover alarm stayed OK through the fault and ${formatDuration(limits.afterTransient)} after it: no workflow ran`);
      window.reasons = ['the failover alarm did not fire'];
      return;
    }
    window.detectedAt = transition.at.getTime();
    progress.mark('detection', faultAt, window.detectedAt);
    progress.say(`alarm ${transition.alarmName} → ALARM after ${formatDuration(window.detectedAt - faultAt)}: ${transition.reason}`);
    const execution = this.planes.length === 1 ? await this.deliveredExecution(live[0]!, faultAt, limits) : await this.actingExecution(live, faultAt, limits, window);
    const first = execution.states[0]?.startMs ?? Date.now();
    progress.mark('failover workflow', first, execution.states.at(-1)?.endMs ?? Date.now());
    // Task and Wait states; Choice states (named "...?") take no time and only clutter the timeline.
    for (const state of execution.states.filter((s) => !s.name.endsWith('?'))) progress.mark(state.name, state.startMs, state.endMs ?? state.startMs);
    progress.say(`failover workflow: ${execution.status}, ${(execution.output as Receipt | null)?.outcome ?? execution.error} (${formatDuration(Date.now() - first)})`);
    this.takeExecution(window, execution);
  }

  /** One stack: the execution its trigger started for the alarm's event. */
  private async deliveredExecution(plane: DrillControlPlane, faultAt: number, limits: Deadlines): Promise<LocalExecution> {
    const watch = plane.watch!;
    const delivery = await this.waitFor('the alarm event to reach the trigger', async () => watch.deliveries.find((d) => d.at.getTime() >= faultAt), 30_000);
    const trigger = delivery.result as { started: boolean; executionName?: string; reason: string };
    this.progress.say(`trigger: ${trigger.reason}`);
    if (!trigger.executionName) throw new Error(`the trigger started no execution: ${trigger.reason}`);
    return withTimeout(plane.stack.machine.executions().get(trigger.executionName)!, limits.execution, 'the workflow');
  }

  /**
   * Several stacks, each alarmed on its own: every execution their triggers start is followed to its
   * end, and the one that acted (took the lease and was neither held nor passive) is the window's.
   * Which stack ran which execution, and how it ended, go into `window.stacks`.
   */
  private async actingExecution(live: DrillControlPlane[], faultAt: number, limits: Deadlines, window: FaultWindow): Promise<LocalExecution> {
    const said = new Set<string>();
    const started = new Map<string, { plane: DrillControlPlane; name: string }>();
    const ended = new Map<string, LocalExecution>();
    window.stacks = [];
    return this.waitFor(
      'an execution of one of the stacks to act on the incident',
      async () => {
        for (const plane of live) {
          for (const [i, delivery] of plane.watch!.deliveries.entries()) {
            const key = `${plane.region}#${i}`;
            if (delivery.at.getTime() < faultAt || said.has(key)) continue;
            said.add(key);
            const trigger = delivery.result as TriggerResult | null;
            this.progress.say(`trigger in ${plane.region}: ${trigger?.reason ?? 'no result'}`);
            if (trigger?.executionName) started.set(`${plane.region}/${trigger.executionName}`, { plane, name: trigger.executionName });
          }
        }
        for (const [key, { plane, name }] of started) {
          if (ended.has(key) || plane.stack.machine.listed().find((e) => e.name === name)?.status === 'RUNNING') continue;
          const execution = await plane.stack.machine.executions().get(name)!;
          ended.set(key, execution);
          const outcome = (execution.output as Receipt | null)?.outcome ?? `${execution.status} (${execution.error ?? 'no receipt'})`;
          window.stacks!.push({ region: plane.region, execution: name, outcome });
          this.progress.say(`${name} in the stack of ${plane.region}: ${outcome}`);
        }
        return [...ended.values()].find((e) => !PASSED_OVER.has((e.output as Receipt | null)?.outcome ?? '')) ?? false;
      },
      limits.execution,
    );
  }

  /** Waits for the application to write again when traffic moved (`moved`); otherwise watches it a moment. */
  protected async awaitApplication(window: FaultWindow, moved: boolean): Promise<void> {
    const app = this.app!;
    if (!moved) {
      await sleep(2000);
      return;
    }
    const started = Date.now();
    try {
      const rto = await this.waitFor(
        'the application to write through DATABASE_URL again',
        async () => {
          const seen = availability(app.attempts, window.faultAt, Date.now());
          return seen.interrupted && seen.recovered ? seen.rtoMs : false;
        },
        APP_RECOVERY_TIMEOUT_MS,
      );
      this.progress.mark('application reconnected', window.faultAt!, window.faultAt! + (rto ?? 0));
      this.progress.say(`application wrote to ${app.target} ${formatDuration(rto ?? 0)} after the fault (DATABASE_URL read ${app.urlReads} times)`);
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
  protected async markDns(window: FaultWindow): Promise<void> {
    const drill = this.drill!;
    const faultAt = window.faultAt;
    const change = drill.faults.route53.changes().filter((c) => faultAt !== null && c.acceptedAt >= faultAt).at(-1);
    if (!change || faultAt === null) return;
    if (change.inSyncAt > Date.now()) {
      this.progress.say(`waiting ${formatDuration(change.inSyncAt - Date.now())} for the record to be INSYNC (modelled propagation)`);
      await sleep(change.inSyncAt - Date.now());
    }
    this.progress.mark('DNS propagation (Route 53 PENDING → INSYNC)', change.acceptedAt, change.inSyncAt);
    window.dnsRtoMs = change.inSyncAt + drill.cluster.route53.ttl * 1000 - faultAt;
  }

  protected startProbe(drill: DrillStack): SplitBrainProbe {
    return SplitBrainProbe.start(drill.cluster, drill.stack.logins[drill.cluster.name]!.app, drill.emulatorEndpoint, 200);
  }

  /** Stops the probe and records how many rounds it made and the most writers one round saw. */
  protected async stopProbe(): Promise<ProbeRound[]> {
    const rounds = (await this.probeRun?.stop()) ?? [];
    this.probe = { rounds: rounds.length, maxWriters: Math.max(0, ...rounds.map((r) => r.writable.length)), splitRounds: rounds.filter((r) => r.writable.length > 1).length };
    return rounds;
  }

  private async verify(): Promise<EndState> {
    const drill = this.drill!;
    await Promise.all([this.stopProbe(), this.app?.stop(), this.monitor?.stop(), this.watch?.stop(), this.schedule?.stop(), ...this.planes.map((p) => p.stop())]);
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
  protected async stopWatching(): Promise<void> {
    await Promise.allSettled([this.probeRun?.stop(), this.app?.stop(), this.monitor?.stop(), this.watch?.stop(), this.schedule?.stop(), this.writer?.stop(), ...this.planes.map((p) => p.stop())]);
  }

  async finish(keep: boolean): Promise<void> {
    const drill = this.drill;
    await this.stopWatching();
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

  /** The report; `checked` replaces the single fault's expectations with a sequence's own findings. */
  report(checked?: string[]): DrillReport {
    const drill = this.drill;
    const endState = this.endState;
    const app = availability(this.app?.attempts ?? [], this.faultAt, Date.now());
    const problems = [...this.problems];
    if (this.error) problems.unshift(this.error);
    else if (checked) problems.push(...checked);
    else if (endState && this.expected && this.cast && drill) {
      problems.push(
        ...checkExpectations(
          this.expected,
          { writers: endState.writers, dnsTarget: endState.dns.target, ssm: endState.ssm, reasons: this.reasons, ackedRowsLost: this.ackedRowsLost, oldPrimaryFenced: endState.oldPrimaryFenced, oldPrimaryDown: endState.oldPrimaryDown, app },
          this.cast,
          drill.cluster.nodes,
        ),
        ...convergenceProblems(this.convergence),
      );
    }
    if (this.convergence) this.convergence.invocations = this.schedule?.invocations ?? 0;
    return assembleReport({
      run: this,
      app,
      problems,
      shortened: drill ? shortenedKnobs(drill.cluster, this.options.sampleIntervalMs ?? 1000) : [],
    });
  }
}

/** A multi-leg drill waits for the anti-flap window between automatic faults: shortened to this (listed in `shortened`). */
export const SEQUENCE_COOLDOWN_SECONDS = 10;
/** How long the acknowledged-row writer runs on the writer before a later leg acts. */
const LEG_WRITES_MS = 3000;

interface LegRecord {
  report: DrillLeg;
  writer: AckedWriter;
  writerAfter: string;
}

/**
 * A sequence of legs on one stack (drill/legs.ts): each leg finds the writer by observation (the
 * cluster record and the nodes), acts (a fault or an operator action), lets the alarm and the
 * workflow respond when it is a fault, and is checked on its own; then the whole run is checked (one
 * writer at every probe round, rows that survived a leg survive the rest, the configuration never
 * edited, one execution per fault).
 */
class SequenceRun extends DrillRun {
  readonly sequence: SequenceSpec;
  private readonly records: LegRecord[] = [];
  private configAtStart: string | undefined;
  private cooldown: { configured: number; used: number } | undefined;
  private sequenceProblems: string[] = [];

  constructor(options: DrillOptions, sequence: SequenceSpec) {
    super(options, {
      name: sequence.name,
      alarmDriven: true,
      payloadBytes: sequence.payloadBytes,
      expect: () => {
        throw new Error('a sequence expects per leg');
      },
      prepare: (drill) => sequence.prepare(drill),
      inject: () => {
        throw new Error('a sequence acts per leg');
      },
    });
    this.sequence = sequence;
  }

  override async run(): Promise<void> {
    const { progress, sequence } = this;
    const drill = await this.stackUp({
      ...(sequence.everyControlRegion ? { everyControlRegion: true } : {}),
      mutate: (config) => {
        for (const cluster of config.clusters) {
          this.cooldown ??= { configured: cluster.policy.cooldownSeconds, used: Math.min(cluster.policy.cooldownSeconds, SEQUENCE_COOLDOWN_SECONDS) };
          cluster.policy.cooldownSeconds = Math.min(cluster.policy.cooldownSeconds, SEQUENCE_COOLDOWN_SECONDS);
        }
      },
    });
    this.configAtStart = readFileSync(drill.stack.configFile, 'utf8');
    const limits = deadlines(drill.cluster, this.alarm!);
    this.probeRun = this.startProbe(drill);
    await progress.step('warm-up', () => this.warmUp(limits.alarmOk), (note) => note);
    for (const [index, leg] of sequence.legs.entries()) await this.runLeg(index, leg, limits);
    this.endState = await progress.step('verify', () => this.verifySequence(), (s) => `writers: ${s.writers.join(', ') || 'none'}; DNS → ${s.dns.target}`);
  }

  /** The next automatic fault waits until the previous failover's cooldown is over and the alarm is OK again. */
  private async readyForFault(limits: Deadlines): Promise<string> {
    const drill = this.drill!;
    const lease = new LeaseStore(dynamoClient(observerRegion(drill)), LOCAL_DEPLOYMENT.leaseTable);
    const until = await this.waitFor(
      'the cooldown of the last failover to end',
      async () => {
        const { cooldownUntil } = await lease.read(drill.cluster.name);
        return cooldownUntil === undefined || cooldownUntil <= Date.now() ? { at: cooldownUntil ?? null } : false;
      },
      (this.cooldown?.used ?? 0) * 1000 + 30_000,
    );
    await this.waitFor(`the failover alarm ${this.alarm!.alarmName} to be OK`, async () => this.alarmsOk(), limits.alarmOk);
    return `cooldown ${until.at === null ? 'not running' : `over since ${new Date(until.at).toISOString()}`}, alarm OK`;
  }

  /** Where the application's DATABASE_URL leads now: a leg's writes go there, as an application's would. */
  private async databaseUrlWriter(index: number): Promise<AckedWriter> {
    const drill = this.drill!;
    const parameter = this.app!.parameter;
    const { host, port } = databaseUrlTarget(await readParameterFresh(ssmClient(parameter.region), parameter.region, parameter.name));
    const login = drill.stack.logins[drill.cluster.name]!.app;
    return new AckedWriter({ host, port, database: drill.cluster.database, ...login }, this.sequence.payloadBytes, `pgfo_drill_leg${index + 1}`);
  }

  private writerTarget(node: string) {
    const drill = this.drill!;
    const n = drill.cluster.nodes.find((c) => c.name === node)!;
    return { host: n.host, port: n.port, database: drill.cluster.database, ...drill.stack.logins[drill.cluster.name]!.app };
  }

  /** The writer's acknowledged rows against what `node` holds (null: it could not be asked). */
  private async lossOn(writer: AckedWriter, node: string): Promise<ReturnType<typeof lossOf> | null> {
    // A leg that waits on boots (region returns) acknowledges hundreds of thousands of rows: reading their ids takes a while on a loaded machine.
    const client = new Client({ ...this.writerTarget(node), connectionTimeoutMillis: 3000, query_timeout: 60_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${writer.table}`);
      return lossOf(writer.acked, new Set(rows.map((r) => Number(r.id))));
    } catch (error) {
      this.progress.say(`the acknowledged rows of ${writer.table} could not be counted on ${node}: ${(error as Error).message}`);
      return null;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async runLeg(index: number, leg: LegSpec, limits: Deadlines): Promise<void> {
    const { progress, sequence } = this;
    const drill = this.drill!;
    const label = `leg ${index + 1}/${sequence.legs.length}: ${leg.name}`;
    const first = progress.timeline.length;
    const startAt = Date.now();
    if (index > 0 && leg.alarmDriven) await progress.step(`${label}: ready`, () => this.readyForFault(limits), (note) => note);
    const roles = await observeRoles(drill);
    const expected = leg.expect(roles);
    progress.say(`${label}: writer ${roles.writer.name} on timeline ${roles.timeline ?? '?'}; expected: ${expected.description}`);
    if (leg.before) await progress.step(`${label}: before`, () => leg.before!(drill, roles, (what, probe, timeoutMs) => this.waitFor(what, probe, timeoutMs)), (note) => note);
    let writer = this.writer!;
    if (index > 0) {
      writer = await this.databaseUrlWriter(index);
      await writer.start();
      await sleep(LEG_WRITES_MS);
    }
    const window: FaultWindow = { faultAt: null, detectedAt: null, receipt: null, reasons: [], dnsRtoMs: null };
    const done = await progress.step(
      label,
      async () => {
        window.faultAt = Date.now();
        try {
          return await leg.act(drill, roles, (what, probe, timeoutMs) => this.waitFor(what, probe, timeoutMs));
        } finally {
          await writer.stop();
        }
      },
      (outcome) => outcome.description,
    );
    if (done.receipt !== undefined) window.receipt = done.receipt;
    window.reasons = done.reasons ?? [];
    if (leg.alarmDriven) await this.respond(limits, window);
    const chosen = await this.chosenAmong(expected);
    await this.awaitApplication(window, chosen.writer !== roles.writer.name);
    await this.markDns(window);
    const report = await progress.step(
      `${label}: check`,
      () => this.checkLeg({ leg, label, roles, expected: chosen, window, writer, done, startAt, first }),
      (r) => (r.problems.length === 0 ? `held: ${r.writerAfter} writes on timeline ${r.writerTimeline}, ${r.rpo.ackedRowsLost} of ${r.rpo.ackedRows} acknowledged row(s) lost` : r.problems.join('; ')),
    );
    report.timeline = progress.timeline.slice(first); // its check included, now that it is marked
    // The top-level figures are the last fault's.
    if (leg.alarmDriven) Object.assign(this, { faultAt: window.faultAt, detectedAt: window.detectedAt, receipt: window.receipt, dnsRtoMs: window.dnsRtoMs });
    this.records.push({ report, writer, writerAfter: chosen.writer });
  }

  /** A leg that allows several candidates expects the one that writes now, when it is one of them. */
  private async chosenAmong(expected: LegExpectation): Promise<LegExpectation> {
    if (!expected.candidates || expected.candidates.length < 2) return expected;
    const drill = this.drill!;
    const { writers } = await observeEndState(drill.cluster, drill.topology, this.cast!.primary.name);
    const writer = writers.length === 1 && expected.candidates.includes(writers[0]!) ? writers[0]! : expected.writer;
    return { ...expected, writer };
  }

  private async checkLeg(input: {
    leg: LegSpec;
    label: string;
    roles: Roles;
    expected: LegExpectation;
    window: FaultWindow;
    writer: AckedWriter;
    done: LegOutcome;
    startAt: number;
    first: number;
  }): Promise<DrillLeg> {
    const { leg, roles, expected, window, writer, done, startAt, first } = input;
    const drill = this.drill!;
    const state = await observeEndState(drill.cluster, drill.topology, roles.writer.name);
    const loss = await this.lossOn(writer, expected.writer);
    const receipt = window.receipt as Partial<Receipt> | null;
    const endAt = Date.now();
    const app = availability(this.app!.attempts.filter((a) => a.at >= startAt), window.faultAt, endAt);
    const moved = expected.writer !== roles.writer.name;
    const problems = legProblems(
      expected,
      {
        writers: state.writers,
        dnsTarget: state.dns.target,
        ssm: state.ssm,
        loss,
        payloadBytes: this.sequence.payloadBytes,
        receiptBoundBytes: leg.alarmDriven ? (receipt?.dataLoss?.upperBoundBytes ?? receipt?.dataLoss?.bytes ?? null) : null,
        fencing: receipt?.fencing ?? null,
        nodes: state.nodes,
        writerBefore: roles.writer.name,
        timelineBefore: roles.timeline,
        timelineAfter: state.nodes.find((n) => n.name === expected.writer)?.timeline ?? null,
        appRecovered: !moved || (app.interrupted ? app.recovered : this.app!.wroteSince(window.faultAt ?? startAt)),
        actionProblems: done.problems ?? [],
      },
      drill.cluster.nodes,
    );
    const actedBy = leg.alarmDriven ? (receipt?.stackRegion ?? null) : null;
    if (done.actedBy && actedBy !== done.actedBy) problems.push(`expected the stack in ${done.actedBy} to act; ${actedBy ? `the stack in ${actedBy} did` : 'no receipt names a stack'}`);
    const rtoMs = moved ? app.rtoMs : null;
    // A goal is measured against, not a check of the drill (the figure depends on the machine and the alarm's settings).
    const goal = this.sequence.rtoGoalMs !== undefined && moved ? { rtoGoalMs: this.sequence.rtoGoalMs, withinRtoGoal: rtoMs !== null && rtoMs <= this.sequence.rtoGoalMs } : null;
    if (goal) this.progress.say(`RTO through DATABASE_URL ${rtoMs === null ? 'unknown' : formatDuration(rtoMs)}: ${goal.withinRtoGoal ? 'within' : 'over'} the goal of ${formatDuration(goal.rtoGoalMs)}`);
    return {
      name: leg.name,
      action: done.description,
      alarmDriven: leg.alarmDriven,
      expected: { writer: expected.writer, description: expected.description },
      writerBefore: roles.writer.name,
      writerAfter: state.writers.length === 1 ? state.writers[0]! : null,
      writerTimeline: state.nodes.find((n) => n.name === expected.writer)?.timeline ?? null,
      startMs: this.progress.sinceStart(startAt),
      endMs: this.progress.sinceStart(endAt),
      faultAtMs: window.faultAt === null ? null : this.progress.sinceStart(window.faultAt),
      detectionMs: window.detectedAt !== null && window.faultAt !== null ? window.detectedAt - window.faultAt : null,
      rtoMs,
      appDowntimeMs: app.downtimeMs,
      dnsRtoMs: window.dnsRtoMs,
      rpo: {
        ackedRowsLost: loss?.lost ?? null,
        ackedRows: writer.acked.length,
        receiptBytes: receipt?.dataLoss?.bytes ?? null,
        receiptSeconds: receipt?.dataLoss?.seconds ?? null,
        receiptUpperBoundBytes: receipt?.dataLoss?.upperBoundBytes ?? null,
      },
      fenced: receipt?.fencing?.fenced ? receipt.fencing.node : null,
      reasons: [...(window.reasons ?? [])],
      problems,
      timeline: this.progress.timeline.slice(first),
      nodes: state.nodes,
      ...(leg.alarmDriven ? { actedBy } : {}),
      ...(goal ?? {}),
      ...(window.stacks ? { stacks: window.stacks } : {}),
    };
  }

  /** Executions of every stack that acted (not held by another stack's lease, not passive); one still running counts. */
  private async actedExecutions(): Promise<number> {
    const all = this.planes.flatMap((p) => [...p.stack.machine.executions().values()]);
    const settled = await Promise.all(all.map((e) => withTimeout(e, 5000, 'an execution').catch(() => null)));
    return settled.filter((e) => e === null || !PASSED_OVER.has((e.output as Receipt | null)?.outcome ?? '')).length;
  }

  private async verifySequence(): Promise<EndState> {
    const drill = this.drill!;
    const rounds = await this.stopProbe();
    await Promise.all([this.app?.stop(), this.monitor?.stop(), this.watch?.stop(), ...this.planes.map((p) => p.stop())]);
    const state = await observeEndState(drill.cluster, drill.topology, this.cast!.primary.name);
    const final = state.writers.length === 1 ? state.writers[0]! : null;
    const rows = await Promise.all(
      this.records.map(async (r) => ({
        leg: r.report.name,
        lostAtLeg: r.report.rpo.ackedRowsLost,
        lostAtEnd: final === null ? null : ((await this.lossOn(r.writer, final))?.lost ?? null),
      })),
    );
    this.sequenceProblems = sequenceProblems({
      rounds,
      startedAt: this.progress.startedAt,
      rows,
      configChanged: readFileSync(drill.stack.configFile, 'utf8') !== this.configAtStart,
      // With a stack per control region, the executions that acted (not held by another stack's lease, not passive).
      executions: this.planes.length > 1 ? await this.actedExecutions() : drill.machine.executions().size,
      alarmDrivenLegs: this.sequence.legs.filter((l) => l.alarmDriven).length,
    });
    const last = this.records.at(-1);
    this.ackedRowsLost = rows.every((r) => r.lostAtEnd !== null) ? rows.reduce((sum, r) => sum + r.lostAtEnd!, 0) : null;
    this.reasons = this.records.flatMap((r, i) => r.report.reasons.map((reason) => `leg ${i + 1} (${r.report.name}): ${reason}`));
    const lastExpected = last?.writerAfter ?? null;
    this.expected = {
      outcome: 'promoted',
      promoted: lastExpected,
      zeroLoss: false,
      description: this.sequence.description,
    };
    this.series = await readDrillSeries(drill.stack.config, drill.cluster, this.progress.startedAt).catch(() => undefined);
    return state;
  }

  override report(): DrillReport {
    this.legs = this.records.map((r) => r.report);
    const legProblemsAll = this.records.flatMap((r, i) => r.report.problems.map((p) => `leg ${i + 1} (${r.report.name}): ${p}`));
    const report = super.report([...legProblemsAll, ...this.sequenceProblems]);
    if (this.cooldown && this.cooldown.used !== this.cooldown.configured) {
      report.shortened.push(
        `policy cooldownSeconds: ${this.cooldown.used} s instead of ${this.cooldown.configured} s (each later automatic fault waits until the previous failover's cooldown is over)`,
      );
    }
    return report;
  }
}

const isSequence = (name: DrillScenario): name is SequenceScenario => (SEQUENCE_SCENARIOS as readonly string[]).includes(name);

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
  const run = isSequence(options.scenario) ? new SequenceRun(options, sequenceNamed(options.scenario)) : new DrillRun(options);
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
