import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { classifyAwsError } from './errors';

/** Starts a named execution; `started: false` when that name already ran (a duplicate event). */
export type ExecutionStarter = (name: string, input: object) => Promise<{ started: boolean; executionArn?: string }>;

/** The failover state machine's ARN (set by serverless.yml on the functions that start it). */
export const STATE_MACHINE_ARN_ENV = 'PGFO_STATE_MACHINE_ARN';

let sfn: SFNClient | undefined;

const stateMachineArn = (): string => {
  const arn = process.env[STATE_MACHINE_ARN_ENV];
  if (!arn) throw new Error(`${STATE_MACHINE_ARN_ENV} is not set`);
  return arn;
};

/** Names of the executions still running whose name starts with `prefix` (a cluster's). */
export type RunningExecutions = (prefix: string) => Promise<string[]>;

/** Step Functions StartExecution: a second start with the same name and input is a no-op. */
export const stepFunctionsStarter: ExecutionStarter = async (name, input) => {
  const arn = stateMachineArn();
  sfn ??= new SFNClient({});
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }));
    return { started: true, ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
  } catch (error) {
    if ((error as Error).name === 'ExecutionAlreadyExists') return { started: false };
    throw classifyAwsError(error, `states:StartExecution ${name}`);
  }
};

/** Step Functions ListExecutions (RUNNING), every page: the executions a new one would race. */
export const stepFunctionsRunning: RunningExecutions = async (prefix) => {
  const arn = stateMachineArn();
  sfn ??= new SFNClient({});
  const names: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING', maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
      names.push(...(out.executions ?? []).flatMap((e) => (e.name?.startsWith(prefix) ? [e.name] : [])));
      nextToken = out.nextToken;
    } while (nextToken);
  } catch (error) {
    throw classifyAwsError(error, 'states:ListExecutions RUNNING');
  }
  return names;
};
