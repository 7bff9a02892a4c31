import * as z from 'zod';
import type { ClusterConfig, FailoverConfig } from '../config/schema';
import { alarmDefinitions } from '../infra/alarms';
import { executionNameFor, type ExecutionInput } from '../workflow/state';

/** The "CloudWatch Alarm State Change" event EventBridge delivers (the fields this trigger reads). */
export const alarmEventSchema = z.looseObject({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.string().max(64),
  detail: z.looseObject({
    alarmName: z.string().min(1).max(255),
    state: z.looseObject({
      value: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
      reason: z.string().max(4000).default(''),
      timestamp: z.string().min(1).max(64),
    }),
  }),
});
export type AlarmEvent = z.infer<typeof alarmEventSchema>;

export type TriggerDecision =
  | { start: true; executionName: string; input: ExecutionInput }
  | { start: false; reason: string };

/** Decides whether an alarm event starts a failover, and with what input. Pure. */
export const decideTrigger = (event: AlarmEvent, config: FailoverConfig, alarmPrefix: string): TriggerDecision => {
  const { alarmName, state } = event.detail;
  if (state.value !== 'ALARM') return { start: false, reason: `${alarmName} went to ${state.value}: nothing to do` };
  const alarm = alarmDefinitions(config, alarmPrefix).find((a) => a.alarmName === alarmName);
  if (!alarm) return { start: false, reason: `${alarmName} is not an alarm of this deployment` };
  if (!alarm.triggersFailover) return { start: false, reason: `${alarmName} does not trigger failover` };
  const cluster = config.clusters.find((c) => c.name === alarm.cluster)!;
  return { start: true, ...failoverIncident(cluster, alarmName, state.timestamp, state.reason) };
};

/**
 * The one definition of an automatic failover's execution: its name (from the cluster and the time
 * the incident is dated, so the same incident delivered twice is started once) and its input.
 * Used by the alarm trigger and by the convergence when an alarm stays in ALARM unhandled.
 */
export const failoverIncident = (cluster: ClusterConfig, alarmName: string, at: string, reason: string): { executionName: string; input: ExecutionInput } => {
  const executionName = executionNameFor(cluster.name, 'alarm', at);
  return {
    executionName,
    input: {
      cluster: cluster.name,
      executionName,
      mode: 'automatic',
      acceptDataLoss: false,
      incident: { alarmName, at, reason: reason.slice(0, 2000) },
      policy: { recheckAfterSeconds: cluster.policy.recheckAfterSeconds },
    },
  };
};
