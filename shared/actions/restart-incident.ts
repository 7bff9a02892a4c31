import { readAlarm } from '../aws/alarm-state';
import { cloudWatchClient } from '../aws/clients/cloudwatch';
import type { ClusterRecordStore } from '../aws/cluster-record';
import type { LeaseStore } from '../aws/lease';
import type { ClusterExecutions, ExecutionStarter } from '../aws/step-functions';
import type { ClusterConfig, FailoverConfig } from '../config/schema';
import { describePause } from '../decisions/cluster-record';
import { decideRestart, type RestartVerdict } from '../decisions/reconcile';
import { failoverIncident } from '../decisions/trigger';
import { alarmDefinitions } from '../infra/alarms';
import { observed } from './published-facts';
import { arbiterNow } from './arbiter';
import type { RepairReceipt } from './repair-receipt';

export type RestartOutcome = RestartVerdict & { executionName?: string; started?: boolean; receipt?: RepairReceipt };

/**
 * A failover alarm that stays in ALARM after its incident ended unhandled (the execution failed on
 * a blip, or the lease, the cooldown or a pause held it back; CloudWatch sends one event per state
 * change and never another): once nothing holds it back, starts a new incident through the
 * trigger's own definition of an execution, within RESTART_POLICY's backoff and bound for the
 * alarm's episode. Reads everything first and starts nothing that could not be checked.
 */
export const restartStrandedAlarm = async (
  context: { config: FailoverConfig; cluster: ClusterConfig; alarmPrefix: string },
  deps: { leases: Pick<LeaseStore, 'read'>; records: Pick<ClusterRecordStore, 'read'>; start: ExecutionStarter; executions: ClusterExecutions },
  now: number,
): Promise<RestartOutcome> => {
  const { config, cluster } = context;
  const alarm = alarmDefinitions(config, context.alarmPrefix).find((a) => a.cluster === cluster.name && a.triggersFailover);
  if (!alarm) return { start: false, reason: `${cluster.name} has no failover alarm` };
  // The stack in the recorded writer's region restarts nothing (the others arbitrate); a record it
  // cannot read is no proof that it may: the next pass looks again.
  const arbiter = await arbiterNow(context, deps.records);
  if (!arbiter.ok) return { start: false, reason: arbiter.reason };
  if (!arbiter.view.acts) return { start: false, reason: arbiter.view.reason };
  const alarmSeen = await observed(readAlarm(cloudWatchClient(config.controlRegion), alarm.alarmName).then((a) => ({ name: alarm.alarmName, state: a?.state ?? null, since: a?.since ?? null })));
  // The episode's executions are those since the alarm's last change (all running ones besides).
  const episode = alarmSeen.ok && alarmSeen.value.since ? Date.parse(alarmSeen.value.since) : now;
  const [lease, paused, executions] = await Promise.all([
    observed(deps.leases.read(cluster.name)),
    observed(deps.records.read(cluster.name).then((r) => (r?.paused ? describePause(r.paused) : null))),
    observed(deps.executions(cluster.name, episode)),
  ]);
  const verdict = decideRestart({ alarm: alarmSeen, lease, paused, executions, now });
  if (!verdict.start) return verdict;
  const at = new Date(now).toISOString();
  const incident = failoverIncident(cluster, alarm.alarmName, at, verdict.reason);
  const { started } = await deps.start(incident.executionName, incident.input);
  // Not started: the same name already ran (another invocation started this very incident): not a failure.
  const receipt: RepairReceipt = {
    kind: 'repair',
    repair: 'failover',
    at,
    outcome: started ? 'started' : 'already-started',
    from: null,
    to: null,
    target: incident.executionName,
    generation: null,
    reasons: [verdict.reason, started ? `failover ${incident.executionName} started` : `failover ${incident.executionName} was already started (same name): nothing more to do`],
  };
  return { ...verdict, executionName: incident.executionName, started, receipt };
};
