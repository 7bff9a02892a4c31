import './polyfills';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { ExecutionSeen } from '../shared/decisions/reconcile';

/** The failover definition: the same file serverless.yml deploys. */
export const FAILOVER_DEFINITION = resolve(__dirname, '..', 'statemachines', 'failover.asl.json');

type Definition = { StartAt: string; TimeoutSeconds?: number; States: Record<string, Record<string, unknown>> };
type State = Record<string, unknown>;
export type LocalHandler = (event: unknown, context: unknown) => Promise<unknown>;

export interface LocalExecution {
  name: string;
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error?: string;
  cause?: string;
  /** Every state entered, in order, with its timing (the execution history). */
  states: Array<{ name: string; startMs: number; endMs: number | null; retries: number; failed?: string }>;
}

export const loadDefinition = (file = FAILOVER_DEFINITION): Definition => JSON.parse(readFileSync(file, 'utf8')) as Definition;

/** A failure's cause as text: the runner hands over the error's `cause` (often an Error) or its message. */
const causeText = (cause: unknown): string =>
  typeof cause === 'string' ? cause : cause instanceof Error ? String(cause) : cause === undefined || cause === null ? '' : JSON.stringify(cause);

/**
 * Every state of a definition by name, those inside a Parallel state's branches included (state
 * names are unique across the whole definition, as Step Functions requires).
 */
export const allStates = (definition: Pick<Definition, 'States'>): Array<[string, State]> =>
  Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...((state.Branches as Array<Pick<Definition, 'States'>> | undefined) ?? []).flatMap((branch) => allStates(branch)),
  ]);

/** The serverless.yml function key a Task names with `Fn::GetAtt: [key, Arn]`. */
export const functionKeyOf = (state: Record<string, unknown>): string | null => {
  const resource = state.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return resource?.['Fn::GetAtt']?.[0] ?? null;
};

/** The functions' timeouts as serverless.yml deploys them (seconds), read once. */
let timeouts: Record<string, number> | undefined;
const functionTimeoutSeconds = (functionName: string): number => {
  if (!timeouts) {
    const file = readFileSync(resolve(__dirname, '..', 'serverless.yml'), 'utf8');
    timeouts = {};
    let current: string | null = null;
    // The functions block only: two-space keys name a function, its `timeout:` follows.
    for (const line of file.slice(file.indexOf('\nfunctions:') + 1).split('\n').slice(1)) {
      if (/^\S/.test(line)) break;
      const key = /^ {2}([A-Za-z0-9]+):\s*$/.exec(line);
      if (key) current = key[1]!;
      const timeout = /^ {4}timeout:\s*(\d+)/.exec(line);
      if (timeout && current) timeouts[current] = Number(timeout[1]);
    }
  }
  return timeouts[functionName] ?? 60;
};

/**
 * A minimal Lambda context for in-process invocations, with the function's deployed timeout (middy
 * ends an invocation that outlives it, as Lambda would).
 */
export const lambdaContext = (functionName: string, region?: string) => {
  const deadline = Date.now() + functionTimeoutSeconds(functionName) * 1000;
  return {
    functionName,
    awsRequestId: `local-${Date.now()}`,
    // As Lambda gives it: the ARN names the region of the stack the function belongs to (a local
    // control plane standing for one region of a multi-region deployment passes it).
    ...(region ? { invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:pgfo-local-${functionName}` } : {}),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
};

export interface LocalStateMachineOptions {
  definitionFile?: string;
  retryIntervalMs?: number;
  /** The control region whose stack this machine belongs to (its tasks run as that stack). @default none: the home region */
  region?: string;
  /** Called as each state is entered (progress for people watching). */
  onStateEntered?: (execution: string, state: string) => void;
  /**
   * Awaited before a Task's real handler runs (tests: a fault at an exact point of the workflow,
   * such as the lease taken away just before a step). The handler itself is never replaced.
   */
  beforeTask?: (state: string) => Promise<void>;
}

/**
 * Runs the deployed state machine definition in-process (aws-local-stepfunctions), every Task
 * bound to the real Lambda handler its `Fn::GetAtt` names. Wait and retry durations are real unless
 * overridden (`retryIntervalMs`): the definition itself is never edited.
 */
export class LocalStateMachine {
  private readonly machine: StateMachine;
  private readonly overrides: Record<string, (input: unknown) => Promise<unknown>>;
  private readonly started = new Map<string, Promise<LocalExecution>>();
  private readonly inputs = new Map<string, unknown>();
  private readonly aborts = new Map<string, () => void>();
  private readonly runningNow = new Set<string>();
  private readonly listing = new Map<string, ExecutionSeen>();

  constructor(
    handlers: Record<string, LocalHandler>,
    private readonly options: LocalStateMachineOptions = {},
  ) {
    const definition = loadDefinition(options.definitionFile);
    this.overrides = {};
    for (const [stateName, state] of allStates(definition)) {
      if (state.Type !== 'Task') continue;
      const key = functionKeyOf(state);
      const handler = key ? handlers[key] : undefined;
      if (!key || !handler) throw new Error(`state ${stateName}: no local handler for function ${key ?? '(none)'}`);
      const before = options.beforeTask;
      this.overrides[stateName] = before ? async (input) => (await before(stateName), handler(input, lambdaContext(key, options.region))) : (input) => handler(input, lambdaContext(key, options.region));
    }
    this.machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  }

  /**
   * Starts an execution by name; like Step Functions, a second start with the same name does not
   * run it again (it returns the first run's result).
   */
  start(name: string, input: unknown): { started: boolean; execution: Promise<LocalExecution> } {
    const existing = this.started.get(name);
    if (existing) return { started: false, execution: existing };
    const execution = this.run(name, input);
    this.started.set(name, execution);
    this.inputs.set(name, input);
    return { started: true, execution };
  }

  /**
   * Stops a running execution where it is, as when the control plane dies mid-flight: the state it
   * reached stays as it is (the lease stays held by this execution name).
   */
  abort(name: string): void {
    this.aborts.get(name)?.();
  }

  /**
   * Runs a stopped or failed execution again under the same name and input, like Step Functions'
   * redrive. Every step can run twice, so starting from the top converges as resuming would.
   */
  redrive(name: string): Promise<LocalExecution> {
    if (!this.inputs.has(name)) throw new Error(`no execution ${name} to redrive`);
    const execution = this.run(name, this.inputs.get(name));
    this.started.set(name, execution);
    return execution;
  }

  /** Names of the executions still running (Step Functions' ListExecutions RUNNING). */
  running(): string[] {
    return [...this.runningNow];
  }

  /** Every execution as Step Functions' ListExecutions would list it (status, start and stop). */
  listed(): ExecutionSeen[] {
    return [...this.listing.values()].map((e) => ({ ...e }));
  }

  /** Every execution started so far, by name. */
  executions(): Map<string, Promise<LocalExecution>> {
    return this.started;
  }

  private async run(name: string, input: unknown): Promise<LocalExecution> {
    this.runningNow.add(name);
    const seen: ExecutionSeen = { name, status: 'RUNNING', startedAt: Date.now(), stoppedAt: null };
    this.listing.set(name, seen);
    try {
      const execution = await this.runOnce(name, input);
      seen.status = execution.status;
      return execution;
    } catch (error) {
      seen.status = 'FAILED';
      throw error;
    } finally {
      seen.stoppedAt = Date.now();
      this.runningNow.delete(name);
    }
  }

  private async runOnce(name: string, input: unknown): Promise<LocalExecution> {
    const retryStates = Object.keys(this.overrides);
    const run = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.overrides as never,
        ...(this.options.retryIntervalMs !== undefined
          ? { retryIntervalOverrides: Object.fromEntries(retryStates.map((s) => [s, this.options.retryIntervalMs!])) }
          : {}),
      },
      context: { Execution: { Name: name, Input: input, StartTime: new Date().toISOString() } } as never,
    });
    this.aborts.set(name, run.abort);
    const states: LocalExecution['states'] = [];
    let failure: { error?: string; cause?: string } = {};
    const collect = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') {
          states.push({ name: event.state.name, startMs: event.timestamp, endMs: null, retries: 0 });
          this.options.onStateEntered?.(name, event.state.name);
        }
        // A Parallel state's branches interleave their events: match each to its own state.
        const stateName = 'state' in event ? (event.state as { name?: string }).name : undefined;
        const current = states.findLast((st) => st.name === stateName && st.endMs === null) ?? states.findLast((st) => st.name === stateName);
        if (event.type === 'StateExited' && current) current.endMs = event.timestamp;
        if (event.type === 'StateRetried' && current) current.retries += 1;
        if (event.type === 'StateFailed' && current) current.failed = event.Error;
        if (event.type === 'ExecutionFailed') failure = { error: event.Error, cause: causeText(event.Cause) };
      }
    })();
    try {
      const output = await run.result;
      await collect;
      return { name, status: 'SUCCEEDED', output, states };
    } catch (error) {
      await collect.catch(() => undefined);
      return { name, status: 'FAILED', output: null, error: failure.error ?? (error as Error).name, cause: failure.cause ?? (error as Error).message, states };
    }
  }
}
