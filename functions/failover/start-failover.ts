import { stepFunctionsStarter, type ExecutionStarter } from '../../shared/aws/step-functions';
import { loadConfig } from '../../shared/config/load';
import { arbiterNow } from '../../shared/actions/arbiter';
import { alarmPrefix, clusterRecordStore } from '../../shared/workflow/environment';
import { alarmEventSchema, decideTrigger, type AlarmEvent } from '../../shared/decisions/trigger';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Turns a failover alarm's state change into one failover execution. A stack that is passive for
 * the cluster (the recorded writer shares its region) starts none; when the record cannot be read
 * the execution starts and its first step (acquireLease) decides on the record it must read anyway.
 */
export const makeStartFailover =
  (start: ExecutionStarter) =>
  async (event: AlarmEvent): Promise<{ started: boolean; executionName?: string; reason: string }> => {
    const config = loadConfig();
    const decision = decideTrigger(event, config, alarmPrefix());
    if (!decision.start) {
      log.info('alarm event ignored', { alarm: event.detail.alarmName, reason: decision.reason });
      return { started: false, reason: decision.reason };
    }
    const cluster = config.clusters.find((c) => c.name === decision.input.cluster)!;
    const arbiter = await arbiterNow({ config, cluster }, clusterRecordStore(config));
    if (arbiter.ok && !arbiter.view.acts) {
      log.info('alarm event ignored: passive for this cluster', { alarm: event.detail.alarmName, reason: arbiter.view.reason });
      return { started: false, reason: arbiter.view.reason };
    }
    const { started } = await start(decision.executionName, decision.input);
    const reason = started ? `failover ${decision.executionName} started` : `failover ${decision.executionName} already started (duplicate event)`;
    log.info(reason, { cluster: decision.input.cluster, alarm: event.detail.alarmName });
    return { started, executionName: decision.executionName, reason };
  };

export const startFailover = makeStartFailover(stepFunctionsStarter);
export const handler = lambda('startFailover', startFailover, { input: alarmEventSchema });
