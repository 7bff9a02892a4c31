import { ListExecutionsCommand, SFNClient, StartExecutionCommand, type ListExecutionsCommandOutput } from '@aws-sdk/client-sfn';
import type { ExecutionSeen } from '../decisions/reconcile';
import { isExecutionOf } from '../workflow/state';
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

/**
 * A cluster's failover executions that are running or were started at or after `since` (ms since
 * the epoch): what a new incident would race, and what the alarm's episode already tried.
 */
export type ClusterExecutions = (cluster: string, since: number) => Promise<ExecutionSeen[]>;

type ListedExecution = NonNullable<ListExecutionsCommandOutput['executions']>[number];

const seen = (e: ListedExecution): ExecutionSeen => ({
  name: e.name ?? '',
  status: e.status ?? 'RUNNING',
  startedAt: e.startDate?.getTime() ?? 0,
  stoppedAt: e.stopDate?.getTime() ?? null,
});

/** Pages of ListExecutions (newest first) until `enough` says the rest is older than needed. */
const listExecutions = async (arn: string, status: 'RUNNING' | undefined, enough: (page: ListedExecution[]) => boolean): Promise<ListedExecution[]> => {
  sfn ??= new SFNClient({});
  const all: ListedExecution[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 100, ...(status ? { statusFilter: status } : {}), ...(nextToken ? { nextToken } : {}) }));
      all.push(...(out.executions ?? []));
      nextToken = enough(out.executions ?? []) ? undefined : out.nextToken;
    } while (nextToken);
  } catch (error) {
    throw classifyAwsError(error, `states:ListExecutions${status ? ` ${status}` : ''}`);
  }
  return all;
};

/** Step Functions ListExecutions: every running execution, and the stopped ones since `since` (listed newest first). */
export const stepFunctionsExecutions: ClusterExecutions = async (cluster, since) => {
  const arn = stateMachineArn();
  const [running, recent] = await Promise.all([
    listExecutions(arn, 'RUNNING', () => false),
    listExecutions(arn, undefined, (page) => page.some((e) => (e.startDate?.getTime() ?? 0) < since)),
  ]);
  const byName = new Map([...recent.filter((e) => (e.startDate?.getTime() ?? 0) >= since), ...running].map((e) => [e.name, e]));
  return [...byName.values()].filter((e) => e.name !== undefined && isExecutionOf(cluster, e.name)).map(seen);
};
