import { OPERATOR_ACCESS, type Access, type InvokedFunction } from '../operators/access';
import type { Statement } from './iam';
import { functionName } from './names';

/**
 * The two managed policies a person or a role is given to run the pgfo CLI against a stage: one
 * that only looks (status, plan, history), one that also acts (switchover, failover, pause,
 * resume, resolve, rejoin). Both are derived from OPERATOR_ACCESS: a function added there is
 * covered here. The CLI needs nothing else from AWS: the functions read the databases, SSM,
 * Route 53 and CloudWatch with their own roles.
 */

const sub = (template: string) => ({ 'Fn::Sub': template });

interface PolicyNames {
  service: string;
  stage: string;
  prefix: string;
  stateMachine: string;
}

/** Logical ids of the policies, and the names of their stack outputs. */
export const OPERATOR_POLICIES = {
  read: { id: 'OperatorReadOnlyPolicy', output: 'OperatorReadOnlyPolicyArn', suffix: 'read-only', what: 'pgfo status, plan and history' },
  operate: {
    id: 'OperatorPolicy',
    output: 'OperatorPolicyArn',
    suffix: 'operator',
    what: 'every pgfo command: status, plan, history, switchover, failover, pause, resume, resolve, rejoin',
  },
} as const satisfies Record<Access, { id: string; output: string; suffix: string; what: string }>;

/** The functions a policy lets its holder invoke: the reading ones, or all of them. */
export const invokableFunctions = (access: Access): InvokedFunction[] =>
  (Object.entries(OPERATOR_ACCESS) as Array<[InvokedFunction, Access]>).filter(([, needs]) => access === 'operate' || needs === 'read').map(([fn]) => fn);

/**
 * Invoking the functions (their unqualified ARN, which is what the CLI calls), and, to operate,
 * following the failover executions the `failover` function starts (the CLI polls their state
 * and their latest history events).
 */
export const operatorStatements = (names: PolicyNames, access: Access): Statement[] => [
  {
    Effect: 'Allow',
    Action: ['lambda:InvokeFunction'],
    Resource: invokableFunctions(access).map((fn) =>
      sub(`arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName(names.service, names.stage, fn)}`),
    ),
  },
  ...(access === 'operate'
    ? [
        {
          Effect: 'Allow' as const,
          Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          Resource: sub(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${names.stateMachine}:*`),
        },
      ]
    : []),
];

/** The two AWS::IAM::ManagedPolicy resources, named `<service>-<stage>-read-only` and `-operator`. */
export const operatorPolicyResources = (names: PolicyNames): Record<string, unknown> =>
  Object.fromEntries(
    (Object.entries(OPERATOR_POLICIES) as Array<[Access, (typeof OPERATOR_POLICIES)[Access]]>).map(([access, policy]) => [
      policy.id,
      {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          ManagedPolicyName: `${names.prefix}-${policy.suffix}`,
          Description: `Lets its holder run ${policy.what} against ${names.prefix}`,
          PolicyDocument: { Version: '2012-10-17', Statement: operatorStatements(names, access) },
        },
      },
    ]),
  );

/** Stack outputs: each policy's ARN (Ref of a managed policy), to attach to users, groups or roles. */
export const operatorPolicyOutputs = (): Record<string, unknown> =>
  Object.fromEntries(
    Object.values(OPERATOR_POLICIES).map((policy) => [
      policy.output,
      { Description: `Managed policy for ${policy.what}`, Value: { Ref: policy.id } },
    ]),
  );
