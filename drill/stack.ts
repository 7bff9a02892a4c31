import net from 'node:net';
import { closeFailoverSessions } from '../shared/actions/failover-connection';
import { resetClients } from '../shared/aws/clients';
import { clearSecretCache } from '../shared/aws/ssm';
import { loadConfigFile } from '../shared/config/load';
import type { ClusterConfig, FailoverConfig } from '../shared/config/schema';
import { localHandlers, type TriggerResult } from '../local/handlers';
import { localControlStack, type LocalControlStack } from '../local/control-stack';
import type { LocalStateMachine } from '../local/state-machine';
import { emulatorEnv, startEmulator, type Emulator } from '../local/emulator';
import { FaultProxy } from '../local/fault-proxy';
import { InstanceBoot } from '../local/instance-boot';
import { startLocalLeaseStack, withLocalWriterLease, type LocalLeaseStack } from '../local/writer-agents';
import { InstancePower } from '../local/instance-power';
import { LocalWitness } from '../local/witness-host';
import { ROUTE53_PROPAGATION_MS } from '../local/route53-propagation';
import { startLocalStack, type LocalStack } from '../local/local-stack';
import type { Topology } from '../local/topology';
import { UsageError } from './options';

export interface DrillStackOptions {
  configFile: string;
  cluster?: string;
  /** Use this emulator (tests share one); otherwise the drill starts and stops its own. */
  emulatorEndpoint?: string;
  /** Start the emulator detached, so that a kept stack outlives the drill process. */
  detachEmulator?: boolean;
  /** How long Route 53 changes stay PENDING. @default ROUTE53_PROPAGATION_MS (local/route53-propagation.ts) */
  dnsPendingMs?: number;
  /** Boot instances that are started again (host guard, PostgreSQL, nodeReturned): only drills that start one pay for its polling. */
  bootInstances?: boolean;
  /** Changes to the drill's copy of the configuration before anything starts (each one listed in the report's `shortened`). */
  mutate?: (config: FailoverConfig) => void;
  /** Run the writer-lease agent beside every node, the store modelled across regions (local/writer-agents.ts). */
  agents?: boolean;
  /** Run the control plane of every control region, not only the home region's (needs `agents`: the store's entry gives each its path). */
  everyControlRegion?: boolean;
}

export type { TriggerResult };

export interface DrillStack {
  stack: LocalStack;
  cluster: ClusterConfig;
  topology: Topology;
  emulatorEndpoint: string;
  /** The emulator this drill started (null when it was given one). */
  emulator: Emulator | null;
  power: InstancePower;
  /**
   * Every AWS call of the handlers passes through it: faults a scenario injects, the instances'
   * `stopping` phase, Route 53 changes PENDING for `dnsPendingMs`.
   */
  faults: FaultProxy;
  /** With `agents`: the store's per-region paths and the agent beside every node. */
  leases: LocalLeaseStack | null;
  /** The witness (witnessRegion): its own path to the nodes and its own fault proxy for the AWS APIs. */
  witness: LocalWitness;
  /** With `bootInstances`: instances started again boot their node (host guard, then PostgreSQL) and tell the control plane (nodeReturned). */
  boot: InstanceBoot | null;
  /** The home region's (controlRegions[0]) state machine: `stacks[0].machine`. */
  machine: LocalStateMachine;
  /** The deployed trigger handler, starting executions on the local state machine. */
  trigger(event: unknown): Promise<TriggerResult>;
  /** The control plane of each control region the drill runs, the home region's first (with `everyControlRegion`, one per control region). */
  stacks: LocalControlStack[];
  /** Control regions whose control plane a scenario took down (a region outage): their stacks run nothing. */
  down: Set<string>;
  /**
   * A region is lost with its control plane: marked down, then whatever the drill runs for that
   * stack (monitor, alarm, schedule, executions) is stopped by the handler the drill registered
   * (`controlPlaneDown`). Says what it stopped; a region without a control plane stops nothing.
   */
  regionDown(region: string): Promise<string | null>;
  controlPlaneDown: ((region: string) => Promise<string>) | undefined;
  /** Stops what runs in this process and restores the environment; `keep` leaves the stack itself up. */
  release(options: { keep: boolean }): Promise<void>;
}

const portTaken = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });

/** The drill uses the configuration's ports: refuse clearly when one is taken, before building anything. */
const checkPorts = async (config: FailoverConfig, source: string): Promise<void> => {
  for (const cluster of config.clusters) {
    for (const node of cluster.nodes) {
      if (await portTaken(node.port)) {
        throw new UsageError(
          `--config: port ${node.port} of ${cluster.name}/${node.name} (from ${source}) is already in use on 127.0.0.1. ` +
            'Is a kept drill stack running (npm run drill -- --down)? Otherwise free the port or give a configuration with other ports.',
        );
      }
    }
  }
};

const pickCluster = (config: FailoverConfig, name: string | undefined, source: string): ClusterConfig => {
  const cluster = name ? config.clusters.find((c) => c.name === name) : config.clusters[0];
  if (!cluster) throw new UsageError(`--cluster: no cluster "${name}" in ${source} (have ${config.clusters.map((c) => c.name).join(', ')})`);
  return cluster;
};

/** Checks the configuration (readable, valid, cluster present, ports free) without building anything. */
export const preflight = async (options: DrillStackOptions): Promise<{ template: FailoverConfig; cluster: ClusterConfig }> => {
  let template: FailoverConfig;
  try {
    template = loadConfigFile(options.configFile);
  } catch (error) {
    throw new UsageError(`--config: ${(error as Error).message}`);
  }
  const cluster = pickCluster(template, options.cluster, options.configFile);
  await checkPorts(template, options.configFile);
  return { template, cluster };
};

/** Sets environment variables and returns a function that puts the previous values back. */
const setEnv = (values: Record<string, string>): (() => void) => {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
};

/**
 * Brings the drill's stack up: the emulator (its own unless given one), the real topology of every
 * configured cluster on the configuration's ports, the emulator seeded from the configuration, the
 * EC2-to-PostgreSQL power link, and the deployed state machine with the real handlers.
 */
export const startDrillStack = async (options: DrillStackOptions): Promise<DrillStack> => {
  const { cluster: chosen } = await preflight(options);
  const emulator = options.emulatorEndpoint ? null : await startEmulator({ detached: options.detachEmulator ?? false });
  const emulatorEndpoint = options.emulatorEndpoint ?? emulator!.endpoint;
  const restoreAwsEnv = setEnv(emulatorEnv(emulatorEndpoint));
  resetClients();
  let stack: LocalStack;
  try {
    const mutate = (config: FailoverConfig) => {
      if (options.agents) withLocalWriterLease(config);
      options.mutate?.(config);
    };
    stack = await startLocalStack({ configFile: options.configFile, portsFromConfig: true, mutate });
  } catch (error) {
    restoreAwsEnv();
    await emulator?.stop();
    throw error;
  }
  const faults = await FaultProxy.start(emulatorEndpoint);
  faults.route53.pendingMs = options.dnsPendingMs ?? ROUTE53_PROPAGATION_MS;
  // This process's calls go through the proxy (a kept stack's environment file names the emulator).
  const leases = options.agents ? await startLocalLeaseStack(stack, faults.endpoint) : null;
  const restoreStackEnv = setEnv({ ...stack.env, AWS_ENDPOINT_URL: faults.endpoint, ...(leases?.env ?? {}) });
  resetClients();
  clearSecretCache();
  const power = InstancePower.start(stack, { emulatorEndpoint });
  faults.view(power.view);
  const witness = await LocalWitness.start(stack, { emulator: emulatorEndpoint, view: power.view });
  const restoreWitnessEnv = setEnv(witness.env);
  resetClients();
  const boot = options.bootInstances ? await InstanceBoot.start(stack, localHandlers.nodeReturned) : null;
  if (boot && leases) boot.storeEndpoint = (region) => leases.store.endpoint(region);
  if (options.everyControlRegion && !leases) throw new Error('everyControlRegion: a control plane per region needs the store modelled across regions (agents)');
  const regions = options.everyControlRegion ? stack.config.controlRegions : [stack.config.controlRegion];
  const stacks = regions.map((region) => localControlStack(stack.config, region));
  const { machine, trigger } = stacks[0]!;
  const drill: DrillStack = {
    stack,
    cluster: stack.cluster(chosen.name),
    topology: stack.topologies[chosen.name]!,
    emulatorEndpoint,
    emulator,
    power,
    faults,
    witness,
    boot,
    leases,
    machine,
    trigger,
    stacks,
    down: new Set(),
    controlPlaneDown: undefined,
    regionDown: async (region) => {
      if (!stacks.some((st) => st.region === region)) return null;
      drill.down.add(region);
      return drill.controlPlaneDown ? drill.controlPlaneDown(region) : `control plane in ${region} down`;
    },
    release: async ({ keep }) => {
      await leases?.stop();
      power.stop();
      await boot?.stop();
      await faults.close();
      await witness.close();
      await closeFailoverSessions();
      if (!keep) {
        await stack.teardown();
        await emulator?.stop();
      }
      restoreWitnessEnv();
      restoreStackEnv();
      restoreAwsEnv();
      resetClients();
      clearSecretCache();
    },
  };
  return drill;
};

/**
 * The control region the drill itself reads the store through (the record, the lease): the first
 * whose control plane is up, as an operator would use a stack that still runs.
 */
export const observerRegion = (drill: Pick<DrillStack, 'stack' | 'down'>): string => {
  const region = drill.stack.config.controlRegions.find((r) => !drill.down.has(r));
  if (!region) throw new Error(`every control region is down (${[...drill.down].join(', ')}): the drill has no stack to read the store through`);
  return region;
};
