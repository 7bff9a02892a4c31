import { failoverTaskHandlers } from '../functions/failover';
import { makeStartFailover } from '../functions/failover/start-failover';
import { handler as convergeDns, makeConvergeDns, convergeDnsInput, type ClusterConvergence, type ConvergeDeps } from '../functions/failover/converge-dns';
import { isExecutionOf } from '../shared/workflow/state';
import { handler as convergeFences } from '../functions/failover/converge-fences';
import type { PendingFencesResult } from '../shared/actions/pending-fences';
import type { SynchronousOutcome } from '../shared/actions/manage-synchronous';
import { closeFailoverSessions } from '../shared/actions/failover-connection';
import { destroyClients } from '../shared/aws/clients';
import { handler as monitor } from '../functions/monitor/handler';
import { handler as nodeReturned } from '../functions/failover/node-returned';
import { makeManualFailover } from '../functions/operators/failover';
import { handler as history } from '../functions/operators/history';
import { makeRejoin } from '../functions/operators/rejoin';
import { handler as pause } from '../functions/operators/pause';
import { handler as resume } from '../functions/operators/resume';
import { handler as resolve } from '../functions/operators/resolve';
import { handler as plan } from '../functions/operators/plan';
import { handler as status } from '../functions/operators/status';
import { makeSwitchover } from '../functions/operators/switchover';
import type { ExecutionStarter } from '../shared/aws/step-functions';
import { alarmEventSchema } from '../shared/decisions/trigger';
import { lambda } from '../shared/lambda';
import { manualFailoverRequestSchema, rejoinRequestSchema, switchoverRequestSchema, type OperatorFunction } from '../shared/operators/requests';
import { localCommandRunner } from './run-command';
import { LocalStateMachine, lambdaContext, type LocalHandler, type LocalStateMachineOptions } from './state-machine';

/** A deployed handler called in this process as Lambda calls it: a JSON event and a context. */
export type Invoke<R = unknown> = (event: unknown) => Promise<R>;

/**
 * The one place where a middy handler is seen as Lambda sees it (event and context in, promise
 * out); everything local calls handlers through this, never with casts of its own.
 */
const asInvoke =
  <R>(handler: unknown, functionName: string, region?: string): Invoke<R> =>
  (event) =>
    (handler as LocalHandler)(event, lambdaContext(functionName, region)) as Promise<R>;

export type TriggerResult = { started: boolean; executionName?: string; reason: string };
export type ManualFailoverResult = { started: boolean; executionName: string; executionArn?: string };

/**
 * The operator Lambdas and the monitor, exactly as deployed (input validation included), as the
 * stack in `region` runs them (undefined: the home region's, as a one-region control plane).
 */
export const localHandlersIn = (region?: string) =>
  ({
    monitor: asInvoke<{ errors: string[]; synchronous: SynchronousOutcome[] }>(monitor, 'monitor', region),
    /** The EC2 state-change rule's target (the emulator delivers no events: local/instance-boot.ts does). */
    nodeReturned: asInvoke(nodeReturned, 'nodeReturned', region),
    status: asInvoke(status, 'status', region),
    plan: asInvoke(plan, 'plan', region),
    // The switchover rejoins the old primary: the rejoin document runs on its local node, as above.
    switchover: asInvoke(lambda('switchover', makeSwitchover(localCommandRunner()), { input: switchoverRequestSchema }), 'switchover', region),
    history: asInvoke(history, 'history', region),
    /** As deployed: started executions go to Step Functions (localConvergeDns runs them here). */
    convergeDns: asInvoke<{ clusters: ClusterConvergence[]; passes: number }>(convergeDns, 'convergeDns', region),
    convergeFences: asInvoke<{ clusters: PendingFencesResult[] }>(convergeFences, 'convergeFences', region),
    // The emulator does not run commands: the rejoin document runs on the local node instead.
    rejoin: asInvoke(lambda('rejoin', makeRejoin(localCommandRunner()), { input: rejoinRequestSchema }), 'rejoin', region),
    pause: asInvoke(pause, 'pause', region),
    resume: asInvoke(resume, 'resume', region),
    resolve: asInvoke(resolve, 'resolve', region),
  }) satisfies Record<OperatorFunction | 'monitor' | 'nodeReturned' | 'convergeDns' | 'convergeFences', Invoke>;

/** The home region's handlers (a one-region control plane, and every local test that runs one). */
export const localHandlers = localHandlersIn();

/** Step Functions' StartExecution, done by the local runner (same name: started once). */
export const localStarter =
  (machine: LocalStateMachine): ExecutionStarter =>
  async (name, input) => ({ started: machine.start(name, input).started });

/** The deployed failover definition, every Task bound to its real handler. */
export const localFailoverMachine = (options: LocalStateMachineOptions = {}): LocalStateMachine =>
  new LocalStateMachine(failoverTaskHandlers as unknown as Record<string, LocalHandler>, options);

/** The alarm trigger as deployed, starting executions on `machine`. */
export const localTrigger = (machine: LocalStateMachine, region?: string): Invoke<TriggerResult> =>
  asInvoke(lambda('startFailover', makeStartFailover(localStarter(machine)), { input: alarmEventSchema }), 'startFailover', region);

/** The scheduled convergence as deployed, seeing and starting executions on `machine`. */
export const localConvergeDns = (machine: LocalStateMachine, options: { pause?: ConvergeDeps['pause']; region?: string } = {}): Invoke<{ clusters: ClusterConvergence[]; passes: number }> =>
  asInvoke(
    lambda(
      'convergeDns',
      makeConvergeDns({
        start: localStarter(machine),
        executions: async (cluster, since) => machine.listed().filter((e) => isExecutionOf(cluster, e.name) && (e.status === 'RUNNING' || e.startedAt >= since)),
        ...(options.pause ? { pause: options.pause } : {}),
      }),
      { input: convergeDnsInput },
    ),
    'convergeDns',
    options.region,
  );

/** The operator's failover Lambda as deployed, starting executions on `machine`. */
export const localManualFailover = (machine: LocalStateMachine, region?: string): Invoke<ManualFailoverResult> =>
  asInvoke(lambda('failover', makeManualFailover(localStarter(machine)), { input: manualFailoverRequestSchema }), 'failover', region);

/**
 * Ends what the handlers keep between invocations (the failover login's kept sessions, the SDK
 * clients' sockets), which a Lambda freezes but a process that is done must close to exit.
 */
export const closeLocalHandlers = async (): Promise<void> => {
  await closeFailoverSessions();
  destroyClients();
};
