import type { FailoverConfig } from '../config/schema';

export interface Statement {
  Effect: 'Allow';
  Action: string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

const sub = (template: string) => ({ 'Fn::Sub': template });

/** ARN of an SSM parameter (names start with "/", which the ARN keeps after "parameter"). */
export const parameterArn = (region: string, name: string) =>
  sub(`arn:\${AWS::Partition}:ssm:${region}:\${AWS::AccountId}:parameter${name}`);

/** Writing to the function's own log group, and nothing else of CloudWatch Logs. */
export const logStatement = (functionName: string): Statement => ({
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}:*`),
});

/** PutMetricData has no resource-level permissions: the namespace condition is the scope. */
export const putMetricsStatement = (config: FailoverConfig): Statement => ({
  Effect: 'Allow',
  Action: ['cloudwatch:PutMetricData'],
  Resource: '*',
  Condition: { StringEquals: { 'cloudwatch:namespace': config.namespace } },
});

/** Every caParameter of the configuration (read, like the credentials, in the stack's own region). */
export const caParameters = (config: FailoverConfig): string[] => [
  ...new Set(
    config.clusters.flatMap((c) =>
      [c.tls, ...c.nodes.map((n) => n.tls), ...c.subscribers.map((s) => s.tls)].flatMap((tls) => (tls?.caParameter ? [tls.caParameter] : [])),
    ),
  ),
];

/**
 * Reading the named credential parameters and the CA bundle parameters, in the stack's own region
 * (each control region holds its copy: a function reads them where it runs), or in `regions`.
 */
export const readCredentialsStatement = (config: FailoverConfig, which: Array<'monitor' | 'failover'>, regions = [config.controlRegion]): Statement => {
  const names = [...new Set([...config.clusters.flatMap((c) => which.map((role) => c.credentials[role].passwordParameter)), ...caParameters(config)])];
  return { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: regions.flatMap((region) => names.map((name) => parameterArn(region, name))) };
};

/**
 * What Lambda needs to attach a function to the VPC (the managed AWSLambdaVPCAccessExecutionRole's
 * actions, which have no resource-level scope for the network interfaces Lambda creates).
 */
export const vpcAccessStatement = (): Statement => ({
  Effect: 'Allow',
  Action: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
  Resource: '*',
});

/** Using a customer-managed key, only through SSM in the given region (SecureString values). */
export const kmsThroughSsmStatement = (keyArn: string, region: string, actions: Array<'Decrypt' | 'Encrypt'>): Statement => ({
  Effect: 'Allow',
  Action: actions.map((a) => `kms:${a}`),
  Resource: keyArn,
  Condition: { StringEquals: { 'kms:ViaService': `ssm.${region}.amazonaws.com` } },
});

/** A role Lambda can assume, with one inline policy. */
export const lambdaRole = (policyName: string, statements: Statement[]) => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
    Policies: [{ PolicyName: policyName, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
  },
});
