import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { awsBackend } from '../../cli/backends';
import { OPERATOR_POLICIES } from '../../shared/infra/iam-operators';
import { deploymentNames, functionPolicies, generateResources, stackOutputs } from '../../shared/infra/resources';
import { OPERATOR_ACCESS, type OperatorFunction } from '../../shared/operators/access';
import { aConfig } from '../fixtures/config';

const ACCOUNT = '123456789012';
const REGION = 'us-west-2';
const SERVICE = 'pgfo';
const STAGE = 'prod';

/** What issue 24 asks of the two policies, written here rather than read from OPERATOR_ACCESS. */
const LOOKING = ['status', 'plan', 'history'];
const CHANGING = ['switchover', 'failover', 'pause', 'resume', 'resolve', 'rejoin'];

interface PolicyStatement {
  Effect: string;
  Action: string[];
  Resource: unknown;
  Condition?: unknown;
}

/** A resource as CloudFormation would resolve it in this account and region (Fn::Sub of pseudo parameters only). */
const resolveArn = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const template = (value as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  if (typeof template !== 'string') throw new Error(`unexpected resource ${JSON.stringify(value)}`);
  return template.replace(/\$\{AWS::Partition\}/g, 'aws').replace(/\$\{AWS::Region\}/g, REGION).replace(/\$\{AWS::AccountId\}/g, ACCOUNT);
};

/** IAM's wildcard match: `*` any run of characters, `?` one. */
const globMatches = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);

/** Whether an identity policy of Allow statements (no conditions in these) lets `action` on `arn`. */
const allows = (statements: PolicyStatement[], action: string, arn: string) =>
  statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      s.Condition === undefined &&
      s.Action.some((a) => globMatches(a, action)) &&
      [s.Resource].flat().some((r) => globMatches(resolveArn(r), arn)),
  );

const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const deployed = (fn: string) => functionArn(`${SERVICE}-${STAGE}-${fn}`);
const executionArn = (machine: string, name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${machine}:${name}`;
const machine = deploymentNames(SERVICE, STAGE).stateMachine;

const resources = generateResources({ config: aConfig(), service: SERVICE, stage: STAGE }) as Record<
  string,
  { Type: string; Properties: { ManagedPolicyName: string; PolicyDocument: { Statement: PolicyStatement[] } } }
>;
const policy = (access: keyof typeof OPERATOR_POLICIES) => resources[OPERATOR_POLICIES[access].id]!;
const readOnly = () => policy('read').Properties.PolicyDocument.Statement;
const operator = () => policy('operate').Properties.PolicyDocument.Statement;

describe("the operators' IAM policies", () => {
  it('are two managed policies named after the stage, their ARNs stack outputs', () => {
    expect([policy('read').Type, policy('operate').Type]).toEqual(['AWS::IAM::ManagedPolicy', 'AWS::IAM::ManagedPolicy']);
    expect([policy('read').Properties.ManagedPolicyName, policy('operate').Properties.ManagedPolicyName]).toEqual(['pgfo-prod-read-only', 'pgfo-prod-operator']);
    expect(stackOutputs()).toMatchObject({
      OperatorReadOnlyPolicyArn: { Value: { Ref: OPERATOR_POLICIES.read.id } },
      OperatorPolicyArn: { Value: { Ref: OPERATOR_POLICIES.operate.id } },
    });
  });

  it('let the read-only policy invoke status, plan and history, and none of the functions that change a cluster', () => {
    for (const fn of LOOKING) expect({ fn, allowed: allows(readOnly(), 'lambda:InvokeFunction', deployed(fn)) }).toEqual({ fn, allowed: true });
    for (const fn of CHANGING) expect({ fn, allowed: allows(readOnly(), 'lambda:InvokeFunction', deployed(fn)) }).toEqual({ fn, allowed: false });
    expect(allows(readOnly(), 'states:DescribeExecution', executionArn(machine, 'manual-orders-1'))).toBe(false);
  });

  it('let the operator policy invoke every operator function and follow the failover executions it starts', () => {
    for (const fn of [...LOOKING, ...CHANGING]) {
      expect({ fn, allowed: allows(operator(), 'lambda:InvokeFunction', deployed(fn)) }).toEqual({ fn, allowed: true });
    }
    for (const action of ['states:DescribeExecution', 'states:GetExecutionHistory']) {
      expect(allows(operator(), action, executionArn(machine, 'manual-orders-1'))).toBe(true);
      expect(allows(operator(), action, executionArn('another-machine', 'x'))).toBe(false);
    }
    expect(allows(operator(), 'states:StartExecution', `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${machine}`)).toBe(false);
  });

  it("let neither invoke a workflow step, the monitor, a scheduled function or another stage's functions", () => {
    const others = Object.keys(functionPolicies(aConfig(), SERVICE, STAGE)).filter((fn) => !(fn in OPERATOR_ACCESS));
    expect(others).toEqual(expect.arrayContaining(['promoteCandidate', 'fencePrimary', 'monitor', 'convergeDns', 'startFailover']));
    for (const statements of [readOnly(), operator()]) {
      for (const fn of others) expect({ fn, allowed: allows(statements, 'lambda:InvokeFunction', deployed(fn)) }).toEqual({ fn, allowed: false });
      expect(allows(statements, 'lambda:InvokeFunction', functionArn(`${SERVICE}-staging-status`))).toBe(false);
    }
  });

  it('name every operator function the deployment declares, and only those', () => {
    const declared = Object.keys(functionPolicies(aConfig(), SERVICE, STAGE));
    expect(Object.keys(OPERATOR_ACCESS).sort()).toEqual([...LOOKING, ...CHANGING].sort());
    for (const fn of Object.keys(OPERATOR_ACCESS)) expect({ fn, declared: declared.includes(fn) }).toEqual({ fn, declared: true });
  });
});

describe('the AWS calls of the pgfo CLI', () => {
  const lambda = mockClient(LambdaClient);
  const sfn = mockClient(SFNClient);
  const started = executionArn(machine, 'manual-orders-1');

  beforeEach(() => {
    lambda.reset();
    sfn.reset();
    lambda.on(InvokeCommand).callsFake((input: { FunctionName: string }) => ({
      StatusCode: 200,
      Payload: Buffer.from(JSON.stringify(input.FunctionName.endsWith('-failover') ? { executionName: 'manual-orders-1', executionArn: started, started: true } : {})),
    }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: '{}' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  });

  /** Every call one command made, as IAM sees it: the action and the resource. */
  const callsOf = async (fn: string) => {
    lambda.resetHistory();
    sfn.resetHistory();
    const backend = awsBackend({ service: SERVICE, stage: STAGE, region: REGION });
    if (fn === 'failover') await backend.failover({ cluster: 'orders' }, () => undefined);
    else await backend.call(fn as OperatorFunction, { cluster: 'orders' });
    return [
      ...lambda.calls().map((call) => ({ action: `lambda:${call.args[0].constructor.name.replace(/Command$/, '')}`, arn: functionArn((call.args[0].input as { FunctionName: string }).FunctionName) })),
      ...sfn.calls().map((call) => ({ action: `states:${call.args[0].constructor.name.replace(/Command$/, '')}`, arn: (call.args[0].input as { executionArn: string }).executionArn })),
    ];
  };

  it('are all allowed by the operator policy, and those of status, plan and history by the read-only one', async () => {
    const invoked: string[] = [];
    const actions = new Set<string>();
    for (const fn of Object.keys(OPERATOR_ACCESS)) {
      const calls = await callsOf(fn);
      invoked.push(...calls.filter((c) => c.action === 'lambda:Invoke').map((c) => c.arn));
      calls.forEach((c) => actions.add(c.action));
      for (const call of calls) {
        // InvokeCommand is the Invoke API, whose IAM action is lambda:InvokeFunction.
        const action = call.action === 'lambda:Invoke' ? 'lambda:InvokeFunction' : call.action;
        expect({ fn, ...call, operator: allows(operator(), action, call.arn) }).toEqual({ fn, ...call, operator: true });
        if (LOOKING.includes(fn)) expect({ fn, ...call, readOnly: allows(readOnly(), action, call.arn) }).toEqual({ fn, ...call, readOnly: true });
      }
    }
    // Every command was exercised: each invoked its own function, and the failover was followed.
    expect(invoked.sort()).toEqual([...LOOKING, ...CHANGING].map(deployed).sort());
    expect([...actions].sort()).toEqual(['lambda:Invoke', 'states:DescribeExecution', 'states:GetExecutionHistory']);
  });

  it('go only through the Lambda and Step Functions clients mocked here', () => {
    const cli = readdirSync('cli').filter((f) => f.endsWith('.ts'));
    const clients = new Set(cli.flatMap((f) => [...readFileSync(join('cli', f), 'utf8').matchAll(/from '(@aws-sdk\/[^']+)'/g)].map((m) => m[1])));
    expect([...clients].sort()).toEqual(['@aws-sdk/client-lambda', '@aws-sdk/client-sfn']);
  });
});
