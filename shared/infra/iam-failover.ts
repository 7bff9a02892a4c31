import type { FailoverConfig } from '../config/schema';
import { alarmDefinitions } from './alarms';
import { kmsThroughSsmStatement, parameterArn, type Statement } from './iam';

const sub = (template: string) => ({ 'Fn::Sub': template });
const unique = <T>(values: T[]) => [...new Set(values)];

export const leaseTableArn = (tableName: string) => sub(`arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${tableName}`);

export const leaseStatement = (tableName: string, actions: string[]): Statement => ({
  Effect: 'Allow',
  Action: actions.map((a) => `dynamodb:${a}`),
  Resource: leaseTableArn(tableName),
});

/** Read-only EC2 calls have no resource-level permissions. */
export const describeInstancesStatement = (actions: string[]): Statement => ({
  Effect: 'Allow',
  Action: actions.map((a) => `ec2:${a}`),
  Resource: '*',
});

const instanceArns = (config: FailoverConfig) =>
  config.clusters.flatMap((c) => c.nodes.map((n) => sub(`arn:\${AWS::Partition}:ec2:${n.region}:\${AWS::AccountId}:instance/${n.instanceId}`)));

/** The condition every EC2 write carries: the instance must be tagged with one of the clusters. */
const clusterTagCondition = (config: FailoverConfig) => ({ 'aws:ResourceTag/pgfo:cluster': unique(config.clusters.map((c) => c.name)) });

/**
 * Stopping only the configured instances, and only while they carry the cluster's tag (the plan
 * needs it too: it proves the permission with DryRun).
 */
export const stopInstancesStatement = (config: FailoverConfig): Statement => ({
  Effect: 'Allow',
  Action: ['ec2:StopInstances'],
  Resource: instanceArns(config),
  Condition: { StringEquals: clusterTagCondition(config) },
});

/** Writing the fence's incident tag (pgfo:fenced, and no other key) on the same instances. */
export const tagFencedStatement = (config: FailoverConfig): Statement => ({
  Effect: 'Allow',
  Action: ['ec2:CreateTags'],
  Resource: instanceArns(config),
  Condition: { StringEquals: clusterTagCondition(config), 'ForAllValues:StringEquals': { 'aws:TagKeys': ['pgfo:fenced'] } },
});

/** Reading the failover alarms' state (the outage re-checks continue while it is ALARM). */
export const describeFailoverAlarmsStatement = (config: FailoverConfig, prefix: string): Statement => ({
  Effect: 'Allow',
  Action: ['cloudwatch:DescribeAlarms'],
  Resource: alarmDefinitions(config, prefix)
    .filter((a) => a.triggersFailover)
    .map((a) => sub(`arn:\${AWS::Partition}:cloudwatch:${config.controlRegion}:\${AWS::AccountId}:alarm:${a.alarmName}`)),
});

export const readMetricsStatement = (): Statement => ({
  Effect: 'Allow',
  Action: ['cloudwatch:GetMetricData'],
  Resource: '*',
});

const zoneArns = (config: FailoverConfig) =>
  unique(config.clusters.map((c) => c.route53.hostedZoneId)).map((id) => sub(`arn:\${AWS::Partition}:route53:::hostedzone/${id}`));

/** Reading the configured zones' records (status, plan). */
export const route53ReadStatement = (config: FailoverConfig): Statement => ({
  Effect: 'Allow',
  Action: ['route53:ListResourceRecordSets'],
  Resource: zoneArns(config),
});

/** UPSERT only the configured records, in the configured zones. */
export const route53Statements = (config: FailoverConfig): Statement[] => {
  const zones = zoneArns(config);
  return [
    {
      Effect: 'Allow',
      Action: ['route53:ChangeResourceRecordSets'],
      Resource: zones,
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': unique(
            config.clusters.map((c) => c.route53.recordName.replace(/\.$/, '').toLowerCase()),
          ),
          'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    },
    route53ReadStatement(config),
    { Effect: 'Allow', Action: ['route53:GetChange'], Resource: sub('arn:${AWS::Partition}:route53:::change/*') },
  ];
};

/** DATABASE_URL parameters, in the regions they are configured in. */
export const databaseUrlStatement = (config: FailoverConfig, actions: string[]): Statement => ({
  Effect: 'Allow',
  Action: actions.map((a) => `ssm:${a}`),
  Resource: unique(config.clusters.flatMap((c) => c.databaseUrlParameters.map((p) => `${p.region}|${p.name}`))).map((key) => {
    const [region, name] = key.split('|') as [string, string];
    return parameterArn(region, name);
  }),
});

/** The customer-managed keys of DATABASE_URL parameters, each through SSM in its parameter's region. */
export const databaseUrlKeyStatements = (config: FailoverConfig, actions: Array<'Decrypt' | 'Encrypt'>): Statement[] =>
  unique(config.clusters.flatMap((c) => c.databaseUrlParameters.flatMap((p) => (p.kmsKeyArn ? [`${p.region}|${p.kmsKeyArn}`] : [])))).map((key) => {
    const [region, keyArn] = key.split('|') as [string, string];
    return kmsThroughSsmStatement(keyArn, region, actions);
  });

export const putEventsStatement = (busName: string): Statement => ({
  Effect: 'Allow',
  Action: ['events:PutEvents'],
  Resource: sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${busName}`),
});

export const startExecutionStatement = (stateMachineName: string, actions: Array<'StartExecution' | 'ListExecutions'> = ['StartExecution']): Statement => ({
  Effect: 'Allow',
  Action: actions.map((a) => `states:${a}`),
  Resource: sub(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${stateMachineName}`),
});


/**
 * Rejoin: read the document in the control region, copy it into each node region (documents are
 * regional), run it only on the clusters' instances while they carry the cluster tag, read the
 * result, and remove only the pgfo:fenced tag from those instances.
 */
export const rejoinStatements = (config: FailoverConfig, documentName: string): Statement[] => {
  const regions = unique([config.controlRegion, ...config.clusters.flatMap((c) => c.nodes.map((n) => n.region))]);
  const documents = regions.map((region) => sub(`arn:\${AWS::Partition}:ssm:${region}:\${AWS::AccountId}:document/${documentName}`));
  return [
    { Effect: 'Allow', Action: ['ssm:GetDocument', 'ssm:CreateDocument', 'ssm:UpdateDocument', 'ssm:UpdateDocumentDefaultVersion'], Resource: documents },
    { Effect: 'Allow', Action: ['ssm:SendCommand'], Resource: documents },
    {
      Effect: 'Allow',
      Action: ['ssm:SendCommand'],
      Resource: instanceArns(config),
      Condition: { StringEquals: clusterTagCondition(config) },
    },
    // GetCommandInvocation has no resource-level permission.
    { Effect: 'Allow', Action: ['ssm:GetCommandInvocation'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['ec2:DeleteTags'],
      Resource: instanceArns(config),
      Condition: { StringEquals: clusterTagCondition(config), 'ForAllValues:StringEquals': { 'aws:TagKeys': ['pgfo:fenced'] } },
    },
  ];
};

/** Fencing a returned node again: tag it pgfo:fenced (that key only) and stop it, tagged cluster instances only. */
export const fenceAgainStatements = (config: FailoverConfig): Statement[] => [tagFencedStatement(config), stopInstancesStatement(config)];

/** Invoking the witness function in witnessRegion (none without a witness). */
export const invokeWitnessStatements = (config: FailoverConfig, witnessFunction: string): Statement[] =>
  config.witnessRegion === undefined
    ? []
    : [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: sub(`arn:\${AWS::Partition}:lambda:${config.witnessRegion}:\${AWS::AccountId}:function:${witnessFunction}`) }];

/**
 * The witness's own role (its stack in witnessRegion): look at the configured instances, fence
 * them as the control plane's fence does (pgfo:fenced only, tagged cluster instances only), and read
 * the failover login's password (and CA parameters) from the control regions (witness-stack.ts).
 */
export const witnessStatements = (config: FailoverConfig): Statement[] => [
  describeInstancesStatement(['DescribeInstanceStatus', 'DescribeInstances']),
  tagFencedStatement(config),
  stopInstancesStatement(config),
];
