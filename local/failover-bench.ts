import { closeFailoverSessions } from '../shared/actions/failover-connection';
import { resetClients } from '../shared/aws/clients';
import { clearSecretCache } from '../shared/aws/ssm';
import type { FailoverConfig } from '../shared/config/schema';
import { alarmDefinitions } from '../shared/infra/alarms';
import { alarmStateChangeEvent } from './alarm-event';
import { localFailoverMachine, localHandlers, localTrigger, type TriggerResult } from './handlers';
import { InstanceBoot } from './instance-boot';
import type { LocalExecution, LocalStateMachine } from './state-machine';
import { FaultProxy } from './fault-proxy';
import { InstancePower } from './instance-power';
import { LOCAL_DEPLOYMENT, startLocalStack, type LocalStack, type LocalStackOptions } from './local-stack';

/** Shortened waits for tests: set in the configuration, never in the definition. */
export const fastPolicy = (config: FailoverConfig): void => {
  for (const cluster of config.clusters) {
    Object.assign(cluster.policy, { recheckAfterSeconds: 1, rechecks: 1, metricStaleSeconds: 10, dnsSyncTimeoutSeconds: 10, followTimeoutSeconds: 10 });
  }
};

export interface FailoverBench {
  stack: LocalStack;
  faults: FaultProxy;
  power: InstancePower;
  /** Instances started again boot their node (host guard, PostgreSQL) and tell the control plane. */
  boot: InstanceBoot;
  machine: LocalStateMachine;
  /** Delivers the failover alarm's ALARM event to the trigger, as EventBridge would. */
  alarm(at?: Date, cluster?: string): Promise<TriggerResult>;
  execution(name: string): Promise<LocalExecution>;
  teardown(): Promise<void>;
}

/**
 * A local stack with everything the failover needs: AWS calls go through a fault proxy in front of
 * the emulator, EC2 stops power off the matching PostgreSQL nodes, and the deployed definition runs
 * in-process with the real handlers.
 */
export const startFailoverBench = async (
  options: { mutate?: (config: FailoverConfig) => void; passwords?: LocalStackOptions['passwords'] } = {},
): Promise<FailoverBench> => {
  const emulator = process.env.AWS_ENDPOINT_URL;
  if (!emulator) throw new Error('AWS_ENDPOINT_URL must point at the emulator');
  const faults = await FaultProxy.start(emulator);
  const stack = await startLocalStack({
    ...(options.passwords ? { passwords: options.passwords } : {}),
    mutate: (config) => {
      fastPolicy(config);
      options.mutate?.(config);
    },
  }).catch(async (error) => {
    await faults.close();
    throw error;
  });
  const previous = { ...process.env };
  Object.assign(process.env, stack.env, { AWS_ENDPOINT_URL: faults.endpoint });
  resetClients();
  clearSecretCache();
  const power = InstancePower.start(stack);
  const boot = await InstanceBoot.start(stack, localHandlers.nodeReturned);
  const machine = localFailoverMachine({ retryIntervalMs: 50 });
  const trigger = localTrigger(machine);
  return {
    stack,
    faults,
    power,
    boot,
    machine,
    alarm: (at = new Date(), clusterName) => {
      const cluster = clusterName ?? stack.config.clusters[0]!.name;
      const alarm = alarmDefinitions(stack.config, LOCAL_DEPLOYMENT.prefix).find((a) => a.cluster === cluster && a.triggersFailover)!;
      const event = alarmStateChangeEvent(alarm, { region: stack.config.controlRegion, value: 'ALARM', previous: 'OK', reason: 'test', at });
      return trigger(event);
    },
    execution: async (name) => {
      const running = machine.executions().get(name);
      if (!running) throw new Error(`no execution ${name}`);
      return running;
    },
    teardown: async () => {
      power.stop();
      await boot.stop();
      await Promise.allSettled([...machine.executions().values()]);
      await closeFailoverSessions();
      await stack.teardown();
      await faults.close();
      for (const key of Object.keys(stack.env)) delete process.env[key];
      process.env.AWS_ENDPOINT_URL = previous.AWS_ENDPOINT_URL;
      resetClients();
      clearSecretCache();
    },
  };
};
