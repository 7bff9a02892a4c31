import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { STATE_MACHINE_ARN_ENV, stepFunctionsExecutions } from '../../shared/aws/step-functions';
import { executionNameFor } from '../../shared/workflow/state';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:pgfo-test-failover';
const SINCE = Date.parse('2026-12-06T03:00:00.000Z');
const at = (offsetSeconds: number) => new Date(SINCE + offsetSeconds * 1000);
const anExecution = (cluster: string, offsetSeconds: number, status: 'RUNNING' | 'SUCCEEDED' | 'FAILED') => ({
  executionArn: `${ARN}:${cluster}-${offsetSeconds}`,
  stateMachineArn: ARN,
  name: executionNameFor(cluster, 'alarm', at(offsetSeconds).toISOString()),
  status,
  startDate: at(offsetSeconds),
  ...(status === 'RUNNING' ? {} : { stopDate: at(offsetSeconds + 10) }),
});

describe('a cluster\'s executions from Step Functions', () => {
  beforeEach(() => {
    sfn.reset();
    process.env[STATE_MACHINE_ARN_ENV] = ARN;
  });

  it('lists exactly the cluster\'s running executions and those of the alarm\'s episode, and stops paging once a page reaches before it', async () => {
    const running = anExecution('app', -3600, 'RUNNING');
    const pages: Record<string, { executions: ReturnType<typeof anExecution>[]; nextToken?: string }> = {
      first: { executions: [anExecution('app-2', 30, 'FAILED'), anExecution('app', 20, 'FAILED')], nextToken: 'page-2' },
      'page-2': { executions: [anExecution('app', 1, 'SUCCEEDED'), anExecution('app', -60, 'SUCCEEDED')], nextToken: 'page-3' },
    };
    sfn.on(ListExecutionsCommand).callsFake((input: { statusFilter?: string; nextToken?: string }) =>
      input.statusFilter === 'RUNNING' ? { executions: [running, anExecution('app-2', 5, 'RUNNING')] } : pages[input.nextToken ?? 'first'],
    );

    const seen = await stepFunctionsExecutions('app', SINCE);

    expect(seen.map((e) => [e.name, e.status]).sort()).toEqual(
      [
        [running.name, 'RUNNING'],
        [executionNameFor('app', 'alarm', at(20).toISOString()), 'FAILED'],
        [executionNameFor('app', 'alarm', at(1).toISOString()), 'SUCCEEDED'],
      ].sort(),
    );
    expect(seen.find((e) => e.status === 'FAILED')).toMatchObject({ startedAt: at(20).getTime(), stoppedAt: at(30).getTime() });
    // The third page (older than the episode) is never asked for.
    expect(sfn.commandCalls(ListExecutionsCommand).filter((c) => c.args[0].input.nextToken === 'page-3')).toHaveLength(0);
  });

  it('names the call that failed', async () => {
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(stepFunctionsExecutions('app', SINCE)).rejects.toThrow(/states:ListExecutions/);
  });
});
