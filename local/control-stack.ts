import { cloudWatchClient } from '../shared/aws/clients/cloudwatch';
import type { FailoverConfig } from '../shared/config/schema';
import { alarmDefinitions, type AlarmDefinition } from '../shared/infra/alarms';
import { alarmStateChangeEvent } from './alarm-event';
import { mirrorAlarmState } from './alarm-mirror';
import { localConvergeDns, localFailoverMachine, localHandlersIn, localTrigger, type Invoke, type TriggerResult } from './handlers';
import { LOCAL_DEPLOYMENT } from './local-stack';
import type { LocalStateMachine, LocalStateMachineOptions } from './state-machine';

/**
 * The control plane one control region's stack deploys, run in this process: its own state machine
 * (every Task as that stack), its trigger, its scheduled convergence and its operator functions and
 * monitor. Deployed, each control region has one; locally several run side by side, their AWS calls
 * in their own region (CloudWatch, SSM and EventBridge are regional in the emulator; DynamoDB goes
 * through the store's entry, local/store-network.ts, on that region's path).
 */
export interface LocalControlStack {
  region: string;
  machine: LocalStateMachine;
  /** The alarm trigger as this stack runs it. */
  trigger: Invoke<TriggerResult>;
  handlers: ReturnType<typeof localHandlersIn>;
  converge: ReturnType<typeof localConvergeDns>;
  /** The failover alarm of `cluster` as this stack creates it (each stack has its own, in its region). */
  failoverAlarm(cluster: string): AlarmDefinition;
  /** Puts this stack's failover alarm in ALARM in its region and delivers the event to its trigger, as its EventBridge rule would. */
  alarm(cluster: string, at?: Date): Promise<TriggerResult>;
}

export const localControlStack = (config: FailoverConfig, region: string, options: Omit<LocalStateMachineOptions, 'region'> = {}): LocalControlStack => {
  const machine = localFailoverMachine({ ...options, region });
  const trigger = localTrigger(machine, region);
  const failoverAlarm = (cluster: string) => {
    const alarm = alarmDefinitions(config, LOCAL_DEPLOYMENT.prefix).find((a) => a.cluster === cluster && a.triggersFailover);
    if (!alarm) throw new Error(`control stack ${region}: no failover alarm for cluster ${cluster}`);
    return alarm;
  };
  return {
    region,
    machine,
    trigger,
    handlers: localHandlersIn(region),
    converge: localConvergeDns(machine, { region }),
    failoverAlarm,
    alarm: async (cluster, at = new Date()) => {
      const alarm = failoverAlarm(cluster);
      await mirrorAlarmState(cloudWatchClient(region), alarm, 'ALARM', 'test');
      return trigger(alarmStateChangeEvent(alarm, { region, value: 'ALARM', previous: 'OK', reason: 'test', at }));
    },
  };
};
