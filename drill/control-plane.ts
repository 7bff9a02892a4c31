import { localConvergeDns, localHandlers } from '../local/handlers';
import type { LocalStateMachine } from '../local/state-machine';
import type { LocalControlStack } from '../local/control-stack';
import { cloudWatchClient } from '../shared/aws/clients/cloudwatch';
import type { AlarmDefinition } from '../shared/infra/alarms';
import { alarmStateChangeEvent } from '../local/alarm-event';
import { mirrorAlarmState } from '../local/alarm-mirror';
import { LocalAlarm, type AlarmTransition } from '../local/alarm-evaluator';
import { sleep } from '../shared/time';
import type { SynchronousOutcome } from '../shared/actions/manage-synchronous';


/**
 * The monitor as deployed, on a shortened schedule: invocations back to back (deployed: once a
 * minute) with the configured samplesPerInvocation, each sample `intervalMs` apart (deployed:
 * sampleIntervalSeconds). It goes through the real handler, request validation included.
 */
export class MonitorLoop {
  invocations = 0;
  readonly errors: string[] = [];
  /** Each invocation's last synchronous-standby outcome per cluster, in order. */
  readonly synchronous: SynchronousOutcome[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  /** `monitor`: the stack's monitor function (default: the home region's). */
  constructor(
    private readonly intervalMs: number,
    private readonly monitor: (input: { intervalMs: number }) => Promise<{ errors: string[]; synchronous: SynchronousOutcome[] }> = localHandlers.monitor,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const summary = await this.monitor({ intervalMs: this.intervalMs });
          this.errors.push(...summary.errors);
          this.synchronous.push(...summary.synchronous);
        } catch (error) {
          this.errors.push((error as Error).message);
          await sleep(this.intervalMs);
        }
        this.invocations += 1;
      }
    })();
  }

  /** Lets the running invocation finish (it publishes what it sampled) and stops. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * What CloudWatch and EventBridge do for the failover alarm, done locally: evaluate the alarm every
 * `tickMs` against the metrics the monitor published, and on each change to ALARM deliver the
 * "CloudWatch Alarm State Change" event to the trigger, as the deployed rule (state ALARM) does.
 */
export class AlarmWatch {
  readonly alarm: LocalAlarm;
  readonly errors: string[] = [];
  readonly deliveries: Array<{ at: Date; result: unknown }> = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    definition: AlarmDefinition,
    private readonly region: string,
    private readonly deliver: (event: unknown) => Promise<unknown>,
    private readonly tickMs = 1000,
  ) {
    this.alarm = new LocalAlarm(definition, cloudWatchClient(region));
  }

  get transitions(): AlarmTransition[] {
    return this.alarm.transitions;
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const tick = Date.now();
        try {
          const change = await this.alarm.evaluate(tick);
          if (change) await mirrorAlarmState(cloudWatchClient(this.region), this.alarm.definition, change.to, change.reason);
          if (change?.to === 'ALARM') await this.emit(change);
        } catch (error) {
          this.errors.push((error as Error).message);
        }
        await sleep(Math.max(0, tick + this.tickMs - Date.now()));
      }
    })();
  }

  private async emit(change: AlarmTransition): Promise<void> {
    const event = alarmStateChangeEvent(this.alarm.definition, {
      region: this.region,
      value: 'ALARM',
      previous: change.from,
      reason: change.reason,
      at: change.at,
    });
    this.deliveries.push({ at: change.at, result: await this.deliver(event) });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** EventBridge's rate(1 minute): the convergence's schedule as deployed (serverless.yml). */
export const CONVERGE_RATE_MS = 60_000;

/**
 * What EventBridge does for convergeDns, done locally: the deployed handler invoked with the
 * schedule's own event every CONVERGE_RATE_MS from `start` (its passes inside each invocation as
 * deployed), seeing and starting executions on the drill's state machine. Never shortened.
 */
export class ConvergeSchedule {
  invocations = 0;
  readonly errors: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly invoke: ReturnType<typeof localConvergeDns>;

  /** `region`: the control region whose stack runs it (default: the home region's). */
  constructor(machine: LocalStateMachine, region?: string) {
    // Between passes the handler waits; stopping the drill ends that wait (and the invocation).
    this.invoke = localConvergeDns(machine, {
      ...(region ? { region } : {}),
      pause: (ms) =>
        new Promise((resolve) => {
          if (this.stopped) return resolve(false);
          const timer = setTimeout(() => resolve(!this.stopped), ms);
          this.wake = () => (clearTimeout(timer), resolve(false));
        }),
    });
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.invocations += 1;
      const run = this.invoke({ version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date().toISOString(), detail: {} }).catch((error: Error) => {
        this.errors.push(error.message);
      });
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    };
    tick();
    this.timer = setInterval(tick, CONVERGE_RATE_MS);
  }

  /** No further invocation; the running one ends after its current pass. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.wake?.();
    await Promise.allSettled([...this.inFlight]);
  }
}

/**
 * One control region's stack as the drill runs it: its monitor, its failover alarm evaluated and
 * delivered to its own trigger, its scheduled convergence (when the scenario has one). A region
 * outage takes it down whole (`down`): nothing of it runs afterwards, its running executions stop
 * where they are.
 */
export class DrillControlPlane {
  watch: AlarmWatch | undefined;
  schedule: ConvergeSchedule | undefined;
  up = true;

  constructor(
    readonly stack: LocalControlStack,
    readonly monitor: MonitorLoop,
  ) {}

  get region(): string {
    return this.stack.region;
  }

  /** Evaluates the stack's failover alarm in its region, delivering its events through `deliver` (default: the stack's trigger). */
  watchAlarm(definition: AlarmDefinition, tickMs: number, deliver: (event: unknown) => Promise<unknown> = this.stack.trigger): AlarmWatch {
    this.watch = new AlarmWatch(definition, this.region, deliver, tickMs);
    this.watch.start();
    return this.watch;
  }

  runSchedule(): void {
    this.schedule = new ConvergeSchedule(this.stack.machine, this.region);
    this.schedule.start();
  }

  /** The region is lost: monitor, alarm, schedule and running executions stop. */
  async down(): Promise<string> {
    this.up = false;
    await Promise.all([this.monitor.stop(), this.watch?.stop(), this.schedule?.stop()]);
    const running = this.stack.machine.listed().filter((e) => e.status === 'RUNNING');
    for (const execution of running) this.stack.machine.abort(execution.name);
    return `control plane in ${this.region} down (monitor, alarm, schedule stopped${running.length ? `; ${running.map((e) => e.name).join(', ')} stopped where it was` : ''})`;
  }

  async stop(): Promise<void> {
    await Promise.all([this.monitor.stop(), this.watch?.stop(), this.schedule?.stop()]);
  }
}
