import { loadConfigFile } from '../config/load';
import type { FailoverConfig } from '../config/schema';
import { alarmDefinitions, alarmResource } from './alarms';
import { dashboardResources } from './dashboard';
import { lambdaRole, logStatement, putMetricsStatement, readCredentialsStatement, type Statement } from './iam';
import {
  databaseUrlStatement,
  describeInstancesStatement,
  leaseStatement,
  putEventsStatement,
  readMetricsStatement,
  route53ReadStatement,
  route53Statements,
  startExecutionStatement,
  stopInstancesStatement,
  describeFailoverAlarmsStatement,
  tagFencedStatement,
} from './iam-failover';
import { functionName } from './names';

export interface GenerateOptions {
  config: FailoverConfig;
  service: string;
  stage: string;
}

export const deploymentNames = (service: string, stage: string) => ({
  prefix: `${service}-${stage}`,
  leaseTable: `${service}-${stage}-leases`,
  stateMachine: `${service}-${stage}-failover`,
  eventBus: 'default',
});

/** What each function may do, and nothing more: one role per function. */
export const functionPolicies = (config: FailoverConfig, service: string, stage: string): Record<string, Statement[]> => {
  const names = deploymentNames(service, stage);
  return {
    monitor: [putMetricsStatement(config), readCredentialsStatement(config, ['monitor'])],
    startFailover: [startExecutionStatement(names.stateMachine)],
    acquireLease: [leaseStatement(names.leaseTable, ['UpdateItem', 'GetItem'])],
    confirmOutage: [
      describeInstancesStatement(['DescribeInstanceStatus']),
      describeFailoverAlarmsStatement(config, names.prefix),
      readCredentialsStatement(config, ['failover']),
      readMetricsStatement(),
    ],
    selectCandidate: [readCredentialsStatement(config, ['failover']), readMetricsStatement()],
    // Steps that change the world first assert and extend the lease (a conditional UpdateItem).
    fencePrimary: [leaseStatement(names.leaseTable, ['UpdateItem']), tagFencedStatement(config), stopInstancesStatement(config), describeInstancesStatement(['DescribeInstances'])],
    promoteCandidate: [leaseStatement(names.leaseTable, ['UpdateItem']), readCredentialsStatement(config, ['failover'])],
    repointDns: [leaseStatement(names.leaseTable, ['UpdateItem']), ...route53Statements(config)],
    rewriteDatabaseUrl: [leaseStatement(names.leaseTable, ['UpdateItem']), databaseUrlStatement(config, ['GetParameter', 'PutParameter'])],
    publishReceipt: [putMetricsStatement(config), putEventsStatement(names.eventBus), leaseStatement(names.leaseTable, ['PutItem'])],
    releaseLease: [leaseStatement(names.leaseTable, ['UpdateItem', 'GetItem'])],
    switchover: [
      leaseStatement(names.leaseTable, ['UpdateItem', 'GetItem', 'PutItem']),
      readCredentialsStatement(config, ['failover']),
      ...route53Statements(config),
      databaseUrlStatement(config, ['GetParameter', 'PutParameter']),
    ],
    failover: [startExecutionStatement(names.stateMachine)],
    plan: [
      describeInstancesStatement(['DescribeInstanceStatus', 'DescribeInstances']),
      stopInstancesStatement(config),
      readCredentialsStatement(config, ['failover']),
      readMetricsStatement(),
      route53ReadStatement(config),
      databaseUrlStatement(config, ['GetParameter']),
    ],
    status: [readCredentialsStatement(config, ['monitor']), route53ReadStatement(config), databaseUrlStatement(config, ['GetParameter'])],
    history: [leaseStatement(names.leaseTable, ['Query'])],
  };
};

/** Logical id of a function's role, referenced as `role:` in serverless.yml. */
export const roleId = (fn: string) => `${fn.charAt(0).toUpperCase()}${fn.slice(1)}Role`;

/** Every CloudFormation resource generated from the cluster configuration. */
export const generateResources = ({ config, service, stage }: GenerateOptions): Record<string, unknown> => {
  const names = deploymentNames(service, stage);
  const alarms = alarmDefinitions(config, names.prefix);
  const roles = Object.fromEntries(
    Object.entries(functionPolicies(config, service, stage)).map(([fn, statements]) => [
      roleId(fn),
      lambdaRole(fn, [logStatement(functionName(service, stage, fn)), ...statements]),
    ]),
  );
  return {
    ...roles,
    LeaseTable: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: names.leaseTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    },
    ...Object.fromEntries(alarms.map((alarm) => [alarm.logicalId, alarmResource(alarm)])),
    ...dashboardResources(config, alarms, names.prefix),
  };
};

/**
 * Entry point for serverless.yml: validates the configuration at package time (a bad file stops
 * the build with the field named) and returns what the template needs.
 */
export const forServerless = (configFile: string, service: string, stage: string) => {
  const config = loadConfigFile(configFile);
  const names = deploymentNames(service, stage);
  return {
    controlRegion: config.controlRegion,
    configFile,
    ...names,
    failoverAlarmNames: alarmDefinitions(config, names.prefix)
      .filter((a) => a.triggersFailover)
      .map((a) => a.alarmName),
    resources: generateResources({ config, service, stage }),
  };
};
