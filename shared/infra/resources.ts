import { loadConfigForStage } from '../config/load';
import type { FailoverConfig } from '../config/schema';
import { alarmDefinitions, alarmResource } from './alarms';
import { dashboardResources } from './dashboard';
import {
  CONTROL_PLANE_IDS,
  controlPlaneAlarmNames,
  controlPlaneResources,
  deadLetterQueueArn,
  functionLogicalId,
  tagList,
  topicArn,
} from './control-plane';
import { kmsThroughSsmStatement, lambdaRole, logStatement, putMetricsStatement, readCredentialsStatement, vpcAccessStatement, type Statement } from './iam';
import {
  databaseUrlKeyStatements,
  databaseUrlStatement,
  describeInstancesStatement,
  leaseStatement,
  putEventsStatement,
  readMetricsStatement,
  route53ReadStatement,
  route53Statements,
  startExecutionStatement,
  fenceAgainStatements,
  rejoinStatements,
  stopInstancesStatement,
  describeFailoverAlarmsStatement,
  tagFencedStatement,
  invokeWitnessStatements,
} from './iam-failover';
import { operatorPolicyOutputs, operatorPolicyResources } from './iam-operators';
import { functionName } from './names';
import { rejoinDocument } from './rejoin-document';
import { PGFO_VERSION } from '../version';
import { accountWidePrefix, configForStack, isHomeStack } from './stack';

export interface GenerateOptions {
  config: FailoverConfig;
  service: string;
  stage: string;
}

export const deploymentNames = (service: string, stage: string) => ({
  prefix: `${service}-${stage}`,
  leaseTable: `${service}-${stage}-leases`,
  stateMachine: `${service}-${stage}-failover`,
  rejoinDocument: `${service}-${stage}-rejoin`,
  eventBus: 'default',
  triggerRule: `${service}-${stage}-failover-trigger`,
  monitorRule: `${service}-${stage}-monitor-schedule`,
  dnsConvergeRule: `${service}-${stage}-dns-converge-schedule`,
  fenceConvergeRule: `${service}-${stage}-fence-converge-schedule`,
  nodeReturnedRule: `${service}-${stage}-node-returned`,
  /** The witness stack (serverless.witness.yml, deployed in witnessRegion) and its one function. */
  witnessService: `${service}-witness`,
  witnessFunction: `${service}-witness-${stage}-witness`,
});

/**
 * The functions whose bundle holds the PostgreSQL client: in the VPC when one is configured, and the
 * readers of the credential and CA parameters. acquireLease, releaseLease, pause and resume only
 * read and write the cluster record, but share its module with the topology reader (a VPC function
 * reaches DynamoDB through an endpoint or NAT, docs/deploy.md). test/integration/package.test.ts
 * finds the functions whose bundle holds the client and fails when this list misses one.
 */
export const DATABASE_FUNCTIONS = [
  'monitor',
  'acquireLease',
  'confirmOutage',
  'selectCandidate',
  'promoteCandidate',
  'repointFollowers',
  'releaseLease',
  'switchover',
  'plan',
  'status',
  'pause',
  'resume',
  'resolve',
  'rejoin',
  'nodeReturned',
] as const;

/** What a function needs from the deployment settings: the VPC's network interfaces, keys, dead letters. */
const deploymentStatements = (config: FailoverConfig, fn: string): Statement[] => {
  const { vpc, kmsKeyArn } = config.deployment;
  const database = (DATABASE_FUNCTIONS as readonly string[]).includes(fn);
  const writesUrls = fn === 'rewriteDatabaseUrl' || fn === 'switchover' || fn === 'convergeDns';
  const readsUrls = writesUrls || fn === 'plan' || fn === 'status';
  return [
    ...(database && vpc ? [vpcAccessStatement()] : []),
    ...(database && kmsKeyArn ? [kmsThroughSsmStatement(kmsKeyArn, config.controlRegion, ['Decrypt'])] : []),
    ...(readsUrls ? databaseUrlKeyStatements(config, writesUrls ? ['Decrypt', 'Encrypt'] : ['Decrypt']) : []),
    ...(fn === 'startFailover' || fn === 'monitor' || fn === 'nodeReturned' || fn === 'convergeDns' || fn === 'convergeFences' ? [{ Effect: 'Allow' as const, Action: ['sqs:SendMessage'], Resource: deadLetterQueueArn() }] : []),
  ];
};

/** What each function may do, and nothing more: one role per function. */
export const functionPolicies = (config: FailoverConfig, service: string, stage: string): Record<string, Statement[]> => {
  const names = deploymentNames(service, stage);
  // The cluster record (same table): read, seeded on first use, changed by a conditional write.
  const record = leaseStatement(names.leaseTable, ['GetItem', 'PutItem']);
  const readRecord = leaseStatement(names.leaseTable, ['GetItem']);
  // The record, and the lease asserted and extended before the step changes anything.
  const recordAndLease = leaseStatement(names.leaseTable, ['GetItem', 'PutItem', 'UpdateItem']);
  return {
    // The monitor also manages the writer's synchronous standby on each sample: the failover login,
    // the lease taken for the change, the record written on its generation, the repair receipt.
    monitor: [putMetricsStatement(config), readCredentialsStatement(config, ['monitor', 'failover']), recordAndLease],
    startFailover: [startExecutionStatement(names.stateMachine)],
    acquireLease: [leaseStatement(names.leaseTable, ['UpdateItem', 'GetItem'])],
    confirmOutage: [
      describeInstancesStatement(['DescribeInstanceStatus']),
      describeFailoverAlarmsStatement(config, names.prefix),
      readCredentialsStatement(config, ['failover']),
      readMetricsStatement(),
      // The record, and the writer lease read and, once seen lapsed, revoked (a conditional UpdateItem).
      leaseStatement(names.leaseTable, ['GetItem', 'PutItem', 'UpdateItem']),
      ...invokeWitnessStatements(config, names.witnessFunction),
    ],
    selectCandidate: [readCredentialsStatement(config, ['failover']), readMetricsStatement(), record],
    // Steps that change the world first assert and extend the lease (a conditional UpdateItem).
    fencePrimary: [
      leaseStatement(names.leaseTable, ['UpdateItem']),
      tagFencedStatement(config),
      stopInstancesStatement(config),
      describeInstancesStatement(['DescribeInstances']),
      // When the control plane cannot reach the EC2 API, the witness fences.
      ...invokeWitnessStatements(config, names.witnessFunction),
    ],
    promoteCandidate: [readCredentialsStatement(config, ['failover']), recordAndLease],
    repointFollowers: [readCredentialsStatement(config, ['failover']), recordAndLease],
    repointDns: [...route53Statements(config), leaseStatement(names.leaseTable, ['PutItem', 'UpdateItem'])],
    // The convergence: the cluster record (UPSERT, read) and every DATABASE_URL brought to the
    // recorded writer; the failover alarm read and a new incident started (after ListExecutions);
    // intents and receipts in the lease table; the Repairs metric.
    convergeDns: [
      route53Statements(config)[0]!,
      route53ReadStatement(config),
      databaseUrlStatement(config, ['GetParameter', 'PutParameter']),
      leaseStatement(names.leaseTable, ['GetItem', 'PutItem', 'UpdateItem']),
      describeFailoverAlarmsStatement(config, names.prefix),
      startExecutionStatement(names.stateMachine, ['StartExecution', 'ListExecutions']),
      putMetricsStatement(config),
    ],
    convergeFences: [describeInstancesStatement(['DescribeInstances']), ...fenceAgainStatements(config), leaseStatement(names.leaseTable, ['GetItem', 'PutItem'])],
    rewriteDatabaseUrl: [leaseStatement(names.leaseTable, ['UpdateItem']), databaseUrlStatement(config, ['GetParameter', 'PutParameter'])],
    publishReceipt: [putMetricsStatement(config), putEventsStatement(names.eventBus), leaseStatement(names.leaseTable, ['PutItem'])],
    releaseLease: [leaseStatement(names.leaseTable, ['UpdateItem', 'GetItem', 'PutItem'])],
    switchover: [
      leaseStatement(names.leaseTable, ['UpdateItem', 'GetItem', 'PutItem']),
      readCredentialsStatement(config, ['failover']),
      ...route53Statements(config),
      databaseUrlStatement(config, ['GetParameter', 'PutParameter']),
      // The "writer changed" event, then the old primary's rejoin (as the rejoin function does it).
      putEventsStatement(names.eventBus),
      describeInstancesStatement(['DescribeInstances']),
      ...rejoinStatements(config, names.rejoinDocument),
    ],
    failover: [startExecutionStatement(names.stateMachine)],
    plan: [
      describeInstancesStatement(['DescribeInstanceStatus', 'DescribeInstances']),
      stopInstancesStatement(config),
      readCredentialsStatement(config, ['failover']),
      readMetricsStatement(),
      route53ReadStatement(config),
      databaseUrlStatement(config, ['GetParameter']),
      readRecord,
      ...invokeWitnessStatements(config, names.witnessFunction),
    ],
    status: [
      readCredentialsStatement(config, ['monitor', 'failover']),
      route53ReadStatement(config),
      databaseUrlStatement(config, ['GetParameter']),
      readRecord,
    ],
    history: [leaseStatement(names.leaseTable, ['Query'])],
    nodeReturned: [
      describeInstancesStatement(['DescribeTags']),
      ...fenceAgainStatements(config),
      readCredentialsStatement(config, ['failover']),
      leaseStatement(names.leaseTable, ['PutItem']),
      putEventsStatement(names.eventBus),
    ],
    rejoin: [
      leaseStatement(names.leaseTable, ['UpdateItem', 'GetItem', 'PutItem']),
      readCredentialsStatement(config, ['failover']),
      // Run Command reaches only a running instance: its state is read first.
      describeInstancesStatement(['DescribeInstances']),
      ...rejoinStatements(config, names.rejoinDocument),
    ],
    pause: [record],
    resume: [record],
    resolve: [readCredentialsStatement(config, ['failover']), record],
  };
};

/** Every function's own statements and the deployment's (VPC, keys, dead letters). */
const allPolicies = (config: FailoverConfig, service: string, stage: string): Record<string, Statement[]> =>
  Object.fromEntries(
    Object.entries(functionPolicies(config, service, stage)).map(([fn, statements]) => [fn, [...statements, ...deploymentStatements(config, fn)]]),
  );

/**
 * Properties serverless.yml does not set on the functions it generates (resources.extensions):
 * the VPC for the database functions, reserved concurrency for the monitor and the trigger, tags
 * on the log groups.
 */
export const functionExtensions = (config: FailoverConfig, service: string, stage: string): Record<string, unknown> => {
  const { vpc, reservedConcurrency } = config.deployment;
  const extensions: Record<string, { Properties: Record<string, unknown> }> = {};
  const extend = (id: string, properties: Record<string, unknown>) => {
    extensions[id] = { Properties: { ...extensions[id]?.Properties, ...properties } };
  };
  if (vpc) {
    for (const fn of DATABASE_FUNCTIONS) extend(functionLogicalId(fn), { VpcConfig: { SubnetIds: vpc.subnetIds, SecurityGroupIds: vpc.securityGroupIds } });
  }
  extend(functionLogicalId('monitor'), { ReservedConcurrentExecutions: reservedConcurrency.monitor });
  extend(functionLogicalId('startFailover'), { ReservedConcurrentExecutions: reservedConcurrency.trigger });
  const tags = tagList(config.deployment);
  if (tags.length > 0) {
    for (const fn of Object.keys(functionPolicies(config, service, stage))) extend(`${fn.charAt(0).toUpperCase()}${fn.slice(1)}LogGroup`, { Tags: tags });
    // The state machine's role comes from serverless-step-functions, which tags only the machine.
    extend('FailoverStateMachineRole', { Tags: tags });
  }
  return extensions;
};

/** Logical id of a function's role, referenced as `role:` in serverless.yml. */
export const roleId = (fn: string) => `${fn.charAt(0).toUpperCase()}${fn.slice(1)}Role`;

const KEY = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
};

/**
 * The table of records, leases and receipts. With `deployment.writerLease`, a global table with
 * multi-Region strong consistency (two replicas and a witness): the writer's agent renews its lease
 * wherever a majority of the three regions is reachable, and cannot where it is not. Without it, a
 * regional table in the control region (writer agents then protect nothing across regions). Only the
 * home stack declares it (generateResources): the other control regions' stacks use its replica in
 * their own region, under the same name.
 */
const leaseTableResource = (config: FailoverConfig, tableName: string, tags: Array<{ Key: string; Value: string }>) => {
  const kept = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
  const store = config.deployment.writerLease;
  if (!store) {
    return {
      Type: 'AWS::DynamoDB::Table',
      ...kept,
      Properties: {
        DeletionProtectionEnabled: true,
        ...(tags.length > 0 ? { Tags: tags } : {}),
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        ...KEY,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    };
  }
  return {
    Type: 'AWS::DynamoDB::GlobalTable',
    ...kept,
    Properties: {
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      ...KEY,
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: [{ Region: store.witnessRegion }],
      Replicas: store.replicaRegions.map((Region) => ({
        Region,
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        ...(tags.length > 0 ? { Tags: tags } : {}),
      })),
    },
  };
};

/**
 * Every CloudFormation resource generated from the cluster configuration, for the stack in
 * config.controlRegion (configForStack): the home stack's with the shared table, another control
 * region's without it, and the names IAM and dashboards keep account-wide carrying that region.
 */
export const generateResources = ({ config, service, stage }: GenerateOptions): Record<string, unknown> => {
  const names = { ...deploymentNames(service, stage), service, stage };
  const accountWide = { ...names, prefix: accountWidePrefix(config, names.prefix) };
  const alarms = alarmDefinitions(config, names.prefix);
  const tags = tagList(config.deployment);
  const tagged = (resource: { Type: string; Properties: Record<string, unknown> }) =>
    tags.length > 0 ? { ...resource, Properties: { ...resource.Properties, Tags: tags } } : resource;
  const roles = Object.fromEntries(
    Object.entries(allPolicies(config, service, stage)).map(([fn, statements]) => [
      roleId(fn),
      tagged(lambdaRole(fn, [logStatement(functionName(service, stage, fn)), ...statements])),
    ]),
  );
  const notify = { alarm: [topicArn(config.deployment)] };
  return {
    ...roles,
    // The cluster's recorded state (leases, receipts, history): never deleted with the stack.
    ...(isHomeStack(config) ? { LeaseTable: leaseTableResource(config, names.leaseTable, tags) } : {}),
    // The rejoin procedure, run on a node's host by SSM Run Command (`pgfo rejoin`).
    RejoinDocument: tagged({
      Type: 'AWS::SSM::Document',
      Properties: { Name: names.rejoinDocument, DocumentType: 'Command', DocumentFormat: 'JSON', UpdateMethod: 'NewVersion', Content: rejoinDocument() },
    }),
    ...Object.fromEntries(alarms.map((alarm) => [alarm.logicalId, tagged(alarmResource(alarm, notify))])),
    ...dashboardResources(config, alarms, accountWide.prefix),
    ...controlPlaneResources(config.deployment, names),
    ...operatorPolicyResources(accountWide),
  };
};

/** The stack's outputs: the operators' policies and the release it runs. */
export const stackOutputs = (): Record<string, unknown> => ({
  ...operatorPolicyOutputs(),
  Version: { Description: 'The pgfo release this stack runs (package.json)', Value: PGFO_VERSION },
});

/**
 * The VPC settings as one line (`none` without a VPC), set as an environment variable on every
 * function. The framework names a function's published version by a hash of the function's
 * properties taken before resources.extensions adds the VPC: without this, a VPC change alone would
 * leave the state machine invoking versions attached to the old subnets.
 */
export const vpcFingerprint = (config: FailoverConfig): string => {
  const { vpc } = config.deployment;
  return vpc ? `subnets ${vpc.subnetIds.join(',')}; security groups ${vpc.securityGroupIds.join(',')}` : 'none';
};

/**
 * Entry point for serverless.yml: validates the configuration at package time (a bad file, or one
 * that names this machine or placeholder ids for a stage other than the local one, stops the build
 * with the field named) and returns what the stack in `region` (`--region`; undefined: the home
 * region, controlRegions[0]) needs.
 * @param source names the file in errors (serverless.cjs says when it is the default).
 * @throws ConfigError naming controlRegions when `region` is not one of them.
 */
export const forServerless = (configFile: string, service: string, stage: string, source = configFile, region?: string) => {
  const config = configForStack(loadConfigForStage(configFile, stage, source), region, source);
  const names = { ...deploymentNames(service, stage), service, stage };
  const caFiles = config.clusters.flatMap((c) =>
    [c.tls, ...c.nodes.map((n) => n.tls), ...c.subscribers.map((sub) => sub.tls)].flatMap((tls) => (tls?.caFile ? [tls.caFile] : [])),
  );
  return {
    homeRegion: config.controlRegions[0]!,
    controlRegion: config.controlRegion,
    configFile,
    ...names,
    instanceIds: [...new Set(config.clusters.flatMap((c) => c.nodes.map((n) => n.instanceId)))],
    /** Packaged with every function: the configuration and the CA bundles it names. */
    packagePatterns: [...new Set([configFile, ...caFiles])],
    tags: config.deployment.tags,
    deadLetterQueueArn: deadLetterQueueArn(),
    stateMachineLogGroupArn: { 'Fn::GetAtt': [CONTROL_PLANE_IDS.stateMachineLogGroup, 'Arn'] },
    extensions: functionExtensions(config, service, stage),
    failoverAlarmNames: alarmDefinitions(config, names.prefix)
      .filter((a) => a.triggersFailover)
      .map((a) => a.alarmName),
    controlPlaneAlarmNames: controlPlaneAlarmNames(names),
    vpcFingerprint: vpcFingerprint(config),
    resources: generateResources({ config, service, stage }),
    outputs: stackOutputs(),
  };
};
