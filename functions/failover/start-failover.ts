import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { classifyAwsError } from '../../shared/aws/errors';
import { loadConfig } from '../../shared/config/load';
import { alarmPrefix } from '../../shared/failover/environment';
import type { ExecutionInput } from '../../shared/failover/state';
import { alarmEventSchema, decideTrigger, type AlarmEvent } from '../../shared/failover/trigger';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/** Starts a named execution; `started: false` when that name already ran (a duplicate event). */
export type ExecutionStarter = (name: string, input: ExecutionInput) => Promise<{ started: boolean; executionArn?: string }>;

export const STATE_MACHINE_ARN_ENV = 'PGFO_STATE_MACHINE_ARN';

let sfn: SFNClient | undefined;
/** Step Functions StartExecution: a second start with the same name and input is a no-op. */
export const stepFunctionsStarter: ExecutionStarter = async (name, input) => {
  const arn = process.env[STATE_MACHINE_ARN_ENV];
  if (!arn) throw new Error(`${STATE_MACHINE_ARN_ENV} is not set`);
  sfn ??= new SFNClient({});
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }));
    return { started: true, executionArn: out.executionArn };
  } catch (error) {
    if ((error as Error).name === 'ExecutionAlreadyExists') return { started: false };
    throw classifyAwsError(error, `states:StartExecution ${name}`);
  }
};

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
