import { closeFailoverSessions } from '../shared/actions/failover-connection';
import { resetClients } from '../shared/aws/clients';
import { clearSecretCache } from '../shared/aws/ssm';
import type { FailoverConfig } from '../shared/config/schema';
import { alarmDefinitions } from '../shared/infra/alarms';
import { cloudWatchClient } from '../shared/aws/clients/cloudwatch';
import { alarmStateChangeEvent } from './alarm-event';
import { mirrorAlarmState } from './alarm-mirror';
import { localConvergeDns, localFailoverMachine, localHandlers, localTrigger, type TriggerResult } from './handlers';
import type { ClusterConvergence } from '../functions/failover/converge-dns';
import { InstanceBoot } from './instance-boot';
import type { LocalExecution, LocalStateMachine } from './state-machine';
import { FaultProxy } from './fault-proxy';
import type { StoreNetwork } from './store-network';
import { startLocalLeaseStack, withLocalWriterLease, type LocalLeaseStack, type LocalWriterAgents } from './writer-agents';
import { InstancePower } from './instance-power';
import { localControlStack, type LocalControlStack } from './control-stack';
import { LocalWitness } from './witness-host';
import type { TopologyPool } from './topology-pool';
import { LOCAL_DEPLOYMENT, startLocalStack, type LocalStack, type LocalStackOptions } from './local-stack';

/** Shortened waits for tests: set in the configuration, never in the definition. */
export const fastPolicy = (config: FailoverConfig): void => {
  for (const cluster of config.clusters) {
    // The topology's standbys run wal_receiver_timeout = 5 s: a live primary is heard every 2.5 s.
    Object.assign(cluster.policy, {
      recheckAfterSeconds: 1,
      rechecks: 1,
      metricStaleSeconds: 10,
      dnsSyncTimeoutSeconds: 10,
      followTimeoutSeconds: 10,
      receiverStaleSeconds: 4,
      recheckDeadlineSeconds: 15,
    });
  }
};

export interface FailoverBench {
  stack: LocalStack;
  faults: FaultProxy;
  /** The witness (witnessRegion) with its own path to the nodes and its own fault proxy. */
  witness: LocalWitness;
  power: InstancePower;
  /** Instances started again boot their node (host guard, PostgreSQL) and tell the control plane. */
  boot: InstanceBoot;
  /** The home region's state machine (the stack in controlRegions[0]). */
  machine: LocalStateMachine;
  /** The state machine of the stack in `region` (a control region), its tasks run as that stack. */
  machineIn(region: string): LocalStateMachine;
  /**
   * Puts the failover alarm in ALARM (in the emulator, which the re-checks read) and delivers its
   * ALARM event to the trigger, as EventBridge would. `stateSet`: the caller already put it in ALARM
   * (setAlarm), so only the event is delivered (the bench times from the event). `region`: the
   * control region whose stack's alarm fires (its own alarm, trigger and state machine).
   * @default the home region
   */
  alarm(at?: Date, cluster?: string, options?: { stateSet?: boolean; region?: string }): Promise<TriggerResult>;
  /** Sets the failover alarm's state in the emulator (an alarm that clears ends the re-checks), in `region`'s stack. */
  setAlarm(state: 'OK' | 'ALARM', cluster?: string, region?: string): Promise<void>;
  /** An execution started on any region's state machine. */
  execution(name: string): Promise<LocalExecution>;
  /** One pass of the scheduled convergence, as the stack in `region` (default: home) runs it, starting executions on its machine. */
  converge(cluster?: string, region?: string): Promise<ClusterConvergence>;
  /** With `agents`: each region's path to the record and lease store (the MRSC model). */
  store: StoreNetwork | null;
  /** With `agents`: the writer-lease agent beside every node, per cluster. */
  agents: Record<string, LocalWriterAgents>;
  /**
   * The control plane of one control region's stack (its own state machine, trigger and alarm), made
   * on first use; `machine` above is the home region's (controlRegions[0]) as a one-region control
   * plane runs it. Needs `agents` beyond the home region (the store's entry gives each its path).
   */
  stackIn(region: string): LocalControlStack;
  teardown(): Promise<void>;
}

/**
 * A local stack with everything the failover needs: AWS calls go through a fault proxy in front of
 * the emulator, EC2 stops power off the matching PostgreSQL nodes, and the deployed definition runs
 * in-process with the real handlers.
 */
export const startFailoverBench = async (
  options: {
    mutate?: (config: FailoverConfig) => void;
    passwords?: LocalStackOptions['passwords'];
    /** Length of an instance's `stopping` phase (PostgreSQL still running). @default DEFAULT_STOPPING_MS */
    stoppingMs?: number;
    /** Awaited before each Task's real handler (see LocalStateMachineOptions.beforeTask). */
    beforeTask?: (state: string) => Promise<void>;
    /** Topologies reused across a suite's benches (see TopologyPool). */
    pool?: TopologyPool;
    /**
     * Run the writer-lease agent beside every node, with the record and lease store modelled across
     * regions (StoreNetwork; the control plane's DynamoDB calls go through the control region's path).
     * @default false
     */
    agents?: boolean;
  } = {},
): Promise<FailoverBench> => {
  const emulator = process.env.AWS_ENDPOINT_URL;
  if (!emulator) throw new Error('AWS_ENDPOINT_URL must point at the emulator');
  const faults = await FaultProxy.start(emulator);
  const stack = await startLocalStack({
    ...(options.passwords ? { passwords: options.passwords } : {}),
    ...(options.pool ? { pool: options.pool } : {}),
    mutate: (config) => {
      fastPolicy(config);
      if (options.agents) withLocalWriterLease(config);
      options.mutate?.(config);
    },
  }).catch(async (error) => {
    await faults.close();
    throw error;
  });
  const previous = { ...process.env };
  const leases: LocalLeaseStack | null = options.agents ? await startLocalLeaseStack(stack, faults.endpoint) : null;
  Object.assign(process.env, stack.env, { AWS_ENDPOINT_URL: faults.endpoint }, leases?.env ?? {});
  resetClients();
  clearSecretCache();
  const power = InstancePower.start(stack, { emulatorEndpoint: emulator, ...(options.stoppingMs !== undefined ? { stoppingMs: options.stoppingMs } : {}) });
  faults.view(power.view);
  const witness = await LocalWitness.start(stack, { emulator, view: power.view });
  Object.assign(process.env, witness.env);
  const boot = await InstanceBoot.start(stack, localHandlers.nodeReturned);
  if (leases) boot.storeEndpoint = (region) => leases.store.endpoint(region);
  // One control plane per control region (local/control-stack.ts), made on first use; the home
  // region's is `machine`, run with no region of its own (as a one-region control plane runs).
  const home = stack.config.controlRegion;
  // Without the store network every stack's DynamoDB calls reach the emulator's one table through
  // this proxy (the emulator has no global tables; with agents the store's entry does the same).
  if (!leases && stack.config.controlRegions.length > 1) faults.globalTableRegion = home;
  const machine = localFailoverMachine({ retryIntervalMs: 50, ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}) });
  const homePlane = { machine, trigger: localTrigger(machine), convergence: localConvergeDns(machine) };
  const stacks = new Map<string, LocalControlStack>();
  const stackIn = (region: string): LocalControlStack => {
    if (!stack.config.controlRegions.includes(region)) throw new Error(`stackIn: ${region} is not a control region (${stack.config.controlRegions.join(', ')})`);
    let made = stacks.get(region);
    if (!made) {
      made = localControlStack(stack.config, region, { retryIntervalMs: 50, ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}) });
      stacks.set(region, made);
    }
    return made;
  };
  const planeIn = (region = home) => {
    if (region === home) return homePlane;
    const other = stackIn(region);
    return { machine: other.machine, trigger: other.trigger, convergence: other.converge };
  };
  const failoverAlarm = (clusterName?: string) => {
    const cluster = clusterName ?? stack.config.clusters[0]!.name;
    return alarmDefinitions(stack.config, LOCAL_DEPLOYMENT.prefix).find((a) => a.cluster === cluster && a.triggersFailover)!;
  };
  return {
    stack,
    faults,
    witness,
    power,
    boot,
    machine,
    machineIn: (region) => planeIn(region).machine,
    alarm: async (at = new Date(), clusterName, options = {}) => {
      const alarm = failoverAlarm(clusterName);
      const region = options.region ?? home;
      if (!options.stateSet) await mirrorAlarmState(cloudWatchClient(region), alarm, 'ALARM', 'test');
      const event = alarmStateChangeEvent(alarm, { region, value: 'ALARM', previous: 'OK', reason: 'test', at });
      return planeIn(region).trigger(event);
    },
    setAlarm: (state, clusterName, region = home) => mirrorAlarmState(cloudWatchClient(region), failoverAlarm(clusterName), state, 'test'),
    converge: async (clusterName, region) => {
      const out = await planeIn(region).convergence({ cluster: clusterName ?? stack.config.clusters[0]!.name });
      return out.clusters[0]!;
    },
    execution: async (name) => {
      const running = [machine, ...[...stacks.values()].map((st) => st.machine)].map((m) => m.executions().get(name)).find((e) => e !== undefined);
      if (!running) throw new Error(`no execution ${name}`);
      return running;
    },
    store: leases?.store ?? null,
    agents: leases?.agents ?? {},
    stackIn,
    teardown: async () => {
      await leases?.stop();
      power.stop();
      await boot.stop();
      await Promise.allSettled([machine, ...[...stacks.values()].map((st) => st.machine)].flatMap((m) => [...m.executions().values()]));
      await closeFailoverSessions();
      await stack.teardown();
      await faults.close();
      await witness.close();
      for (const key of [...Object.keys(stack.env), ...Object.keys(witness.env)]) delete process.env[key];
      process.env.AWS_ENDPOINT_URL = previous.AWS_ENDPOINT_URL;
      if (previous.AWS_ENDPOINT_URL_DYNAMODB === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = previous.AWS_ENDPOINT_URL_DYNAMODB;
      resetClients();
      clearSecretCache();
    },
  };
};
