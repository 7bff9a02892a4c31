import { stepFunctionsStarter, type ExecutionStarter } from '../../shared/aws/step-functions';
import { loadConfig } from '../../shared/config/load';
import { alarmPrefix } from '../../shared/workflow/environment';
import { alarmEventSchema, decideTrigger, type AlarmEvent } from '../../shared/decisions/trigger';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/** Turns a failover alarm's state change into one failover execution. */
export const makeStartFailover =
  (start: ExecutionStarter) =>
  async (event: AlarmEvent): Promise<{ started: boolean; executionName?: string; reason: string }> => {
    const decision = decideTrigger(event, loadConfig(), alarmPrefix());
    if (!decision.start) {
      log.info('alarm event ignored', { alarm: event.detail.alarmName, reason: decision.reason });
      return { started: false, reason: decision.reason };
    }
    const { started } = await start(decision.executionName, decision.input);
    const reason = started ? `failover ${decision.executionName} started` : `failover ${decision.executionName} already started (duplicate event)`;
    log.info(reason, { cluster: decision.input.cluster, alarm: event.detail.alarmName });
    return { started, executionName: decision.executionName, reason };
  };

export const startFailover = makeStartFailover(stepFunctionsStarter);
export const handler = lambda('startFailover', startFailover, { input: alarmEventSchema });
