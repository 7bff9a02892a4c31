import type { DeploymentConfig } from '../config/schema';
import { functionName } from './names';

/**
 * The resources that make the control plane watch itself and reach a person: the notification
 * topic, the trigger's dead-letter queue, and alarms on the control plane's own functions and
 * workflow. Cluster alarms live in alarms.ts (the local evaluator runs those too).
 */

const sub = (template: string) => ({ 'Fn::Sub': template });

/**
 * Timeouts of serverless.yml that alarms here depend on (a function that runs close to its timeout
 * is about to fail). test/integration/package.test.ts checks them against the packaged functions.
 */
export const FUNCTION_TIMEOUTS = { monitor: 75, startFailover: 15 } as const;
/** A monitor run longer than this share of its timeout is one slow node away from being cut off. */
export const DURATION_ALARM_SHARE = 0.8;

/** Logical ids of the resources generated here. */
export const CONTROL_PLANE_IDS = {
  topic: 'AlertTopic',
  topicPolicy: 'AlertTopicPolicy',
  deadLetterQueue: 'DeadLetterQueue',
  deadLetterQueuePolicy: 'DeadLetterQueuePolicy',
  stateMachineLogGroup: 'FailoverStateMachineLogGroup',
  executionEventsRule: 'FailoverExecutionEventsRule',
  receiptEventsRule: 'FailoverReceiptEventsRule',
} as const;

/** Logical id serverless gives a function (its name with the first letter upper-cased). */
export const functionLogicalId = (fn: string) => `${fn.charAt(0).toUpperCase()}${fn.slice(1)}LambdaFunction`;

/** CloudFormation's tag list from the configured tags. */
export const tagList = (deployment: DeploymentConfig) => Object.entries(deployment.tags).map(([Key, Value]) => ({ Key, Value }));

/** The topic every alarm that needs a person notifies: the configured one, or the one created here. */
export const topicArn = (deployment: DeploymentConfig): unknown => deployment.notifications.topicArn ?? { Ref: CONTROL_PLANE_IDS.topic };

export const deadLetterQueueArn = () => ({ 'Fn::GetAtt': [CONTROL_PLANE_IDS.deadLetterQueue, 'Arn'] });

interface ControlPlaneNames {
  service: string;
  stage: string;
  prefix: string;
  /** Names of the EventBridge rules that invoke the trigger and the monitor (serverless.yml names them from here). */
  triggerRule: string;
  monitorRule: string;
  dnsConvergeRule: string;
  fenceConvergeRule: string;
  /** The rule on EC2 instance state changes that invokes nodeReturned. */
  nodeReturnedRule: string;
}

interface ControlAlarm {
  id: string;
  name: string;
  description: string;
  namespace: 'AWS/Lambda' | 'AWS/States' | 'AWS/SQS';
  metric: string;
  dimensions: Array<{ Name: string; Value: unknown }>;
  statistic: 'Sum' | 'Maximum';
  threshold: number;
  /** Breaching minutes out of `of` that raise the alarm. */
  minutes: number;
  of: number;
}

const lambdaAlarms = (names: ControlPlaneNames): ControlAlarm[] => {
  const fn = (key: string) => [{ Name: 'FunctionName', Value: functionName(names.service, names.stage, key) }];
  const monitorLimitMs = FUNCTION_TIMEOUTS.monitor * 1000 * DURATION_ALARM_SHARE;
  return [
    {
      id: 'ControlAlarmMonitorErrors',
      name: `${names.prefix}-control-monitor-errors`,
      description: 'The monitor failed in 2 of the last 5 minutes: lag and reachability metrics are missing or late.',
      namespace: 'AWS/Lambda', metric: 'Errors', dimensions: fn('monitor'), statistic: 'Sum', threshold: 0, minutes: 2, of: 5,
    },
    {
      id: 'ControlAlarmMonitorThrottles',
      name: `${names.prefix}-control-monitor-throttles`,
      description: 'The monitor was throttled: a throttled run publishes nothing. Check its reserved concurrency and the account limit.',
      namespace: 'AWS/Lambda', metric: 'Throttles', dimensions: fn('monitor'), statistic: 'Sum', threshold: 0, minutes: 1, of: 1,
    },
    {
      id: 'ControlAlarmMonitorDuration',
      name: `${names.prefix}-control-monitor-duration`,
      description: `A monitor run took more than ${DURATION_ALARM_SHARE * 100} % of its ${FUNCTION_TIMEOUTS.monitor} s timeout twice in 3 minutes: slow probes are about to cut runs short.`,
      namespace: 'AWS/Lambda', metric: 'Duration', dimensions: fn('monitor'), statistic: 'Maximum', threshold: monitorLimitMs, minutes: 2, of: 3,
    },
    {
      id: 'ControlAlarmTriggerErrors',
      name: `${names.prefix}-control-trigger-errors`,
      description: 'The failover trigger failed on an alarm change: a failover may not have started. Its events end in the dead-letter queue after retries.',
      namespace: 'AWS/Lambda', metric: 'Errors', dimensions: fn('startFailover'), statistic: 'Sum', threshold: 0, minutes: 1, of: 1,
    },
    {
      id: 'ControlAlarmTriggerThrottles',
      name: `${names.prefix}-control-trigger-throttles`,
      description: 'The failover trigger was throttled: a failover start is delayed.',
      namespace: 'AWS/Lambda', metric: 'Throttles', dimensions: fn('startFailover'), statistic: 'Sum', threshold: 0, minutes: 1, of: 1,
    },
  ];
};

const workflowAlarms = (names: ControlPlaneNames): ControlAlarm[] => {
  const machine = [{ Name: 'StateMachineArn', Value: { Ref: 'FailoverStateMachine' } }];
  const executions = (metric: string, what: string): ControlAlarm => ({
    id: `ControlAlarm${metric}`,
    name: `${names.prefix}-control-${metric.replace(/^Executions/, 'executions-').toLowerCase()}`,
    description: `A failover execution ${what}: read its history (pgfo history, the Step Functions console) before anything else.`,
    namespace: 'AWS/States', metric, dimensions: machine, statistic: 'Sum', threshold: 0, minutes: 1, of: 1,
  });
  return [
    executions('ExecutionsFailed', 'failed'),
    executions('ExecutionsTimedOut', 'timed out'),
    executions('ExecutionsAborted', 'was aborted'),
    {
      id: 'ControlAlarmDeadLetters',
      name: `${names.prefix}-control-dead-letters`,
      description: 'An event the control plane could not handle is in the dead-letter queue: an alarm change the trigger never turned into a failover (that incident got no automatic failover: run pgfo plan, then failover by hand), a monitor tick, or a notification. Read the messages.',
      namespace: 'AWS/SQS', metric: 'ApproximateNumberOfMessagesVisible',
      dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [CONTROL_PLANE_IDS.deadLetterQueue, 'QueueName'] } }],
      statistic: 'Maximum', threshold: 0, minutes: 1, of: 1,
    },
  ];
};

/** Alarm names of the control plane's own alarms (each notifies the topic). */
export const controlPlaneAlarmNames = (names: ControlPlaneNames): string[] => [...lambdaAlarms(names), ...workflowAlarms(names)].map((a) => a.name);

const alarmResource = (alarm: ControlAlarm, deployment: DeploymentConfig) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmName: alarm.name,
    AlarmDescription: alarm.description,
    Namespace: alarm.namespace,
    MetricName: alarm.metric,
    Dimensions: alarm.dimensions,
    Statistic: alarm.statistic,
    Period: 60,
    EvaluationPeriods: alarm.of,
    DatapointsToAlarm: alarm.minutes,
    Threshold: alarm.threshold,
    ComparisonOperator: 'GreaterThanThreshold',
    // No invocation, no data: silence is the monitor-blind alarm's business, not these.
    TreatMissingData: 'notBreaching',
    AlarmActions: [topicArn(deployment)],
    OKActions: [topicArn(deployment)],
    ...(tagList(deployment).length > 0 ? { Tags: tagList(deployment) } : {}),
  },
});

const withTags = (deployment: DeploymentConfig, properties: Record<string, unknown>) =>
  tagList(deployment).length > 0 ? { ...properties, Tags: tagList(deployment) } : properties;

const topicResources = (deployment: DeploymentConfig, names: ControlPlaneNames) => {
  if (deployment.notifications.topicArn) return {};
  const topic = { Ref: CONTROL_PLANE_IDS.topic };
  return {
    [CONTROL_PLANE_IDS.topic]: {
      Type: 'AWS::SNS::Topic',
      Properties: withTags(deployment, {
        TopicName: `${names.prefix}-alerts`,
        ...(deployment.kmsKeyArn ? { KmsMasterKeyId: deployment.kmsKeyArn } : {}),
        Subscription: deployment.notifications.emails.map((Endpoint) => ({ Protocol: 'email', Endpoint })),
      }),
    },
    [CONTROL_PLANE_IDS.topicPolicy]: {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [topic],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AlarmsOfThisAccount',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: topic,
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
            {
              Sid: 'FailoverEventRules',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: topic,
              Condition: {
                ArnEquals: {
                  'aws:SourceArn': [CONTROL_PLANE_IDS.executionEventsRule, CONTROL_PLANE_IDS.receiptEventsRule].map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
                },
              },
            },
          ],
        },
      },
    },
  };
};

/** Where an event goes when a rule cannot deliver it or an asynchronous invocation fails for good. */
const DEAD_LETTER_SOURCES = (names: ControlPlaneNames) => [
  sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${names.triggerRule}`),
  sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${names.monitorRule}`),
  sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${names.dnsConvergeRule}`),
  sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${names.fenceConvergeRule}`),
  sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${names.nodeReturnedRule}`),
  ...[CONTROL_PLANE_IDS.executionEventsRule, CONTROL_PLANE_IDS.receiptEventsRule].map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
];

/**
 * One queue for every event the control plane could not handle: the trigger's and the monitor's
 * undeliverable events and failed invocations, and notifications EventBridge could not publish.
 */
const deadLetterResources = (deployment: DeploymentConfig, names: ControlPlaneNames) => ({
  [CONTROL_PLANE_IDS.deadLetterQueue]: {
    Type: 'AWS::SQS::Queue',
    // A dead-letter queue has nowhere further to send its messages: its alarm is the redrive.
    Metadata: { 'cfn-lint': { config: { ignore_checks: ['ES6000'] } } },
    Properties: withTags(deployment, {
      QueueName: `${names.prefix}-dead-letters`,
      // 14 days, the longest SQS keeps a message: an incident's evidence outlives a long weekend.
      MessageRetentionPeriod: 1209600,
      // SQS-managed keys: a customer key would also need a key policy for EventBridge.
      SqsManagedSseEnabled: true,
    }),
  },
  [CONTROL_PLANE_IDS.deadLetterQueuePolicy]: {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [{ Ref: CONTROL_PLANE_IDS.deadLetterQueue }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'RuleDeadLetters',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: deadLetterQueueArn(),
            Condition: { ArnEquals: { 'aws:SourceArn': DEAD_LETTER_SOURCES(names) } },
          },
        ],
      },
    },
  },
  // The trigger retries twice, then records the event; a monitor tick is worth nothing a minute
  // later (the next one has started), so it is recorded at once instead of retried.
  StartFailoverInvokeConfig: invokeConfig('startFailover', { MaximumRetryAttempts: 2 }),
  MonitorInvokeConfig: invokeConfig('monitor', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 }),
  // Likewise the DNS convergence: the next tick a minute later tries again.
  ConvergeDnsInvokeConfig: invokeConfig('convergeDns', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 }),
  ConvergeFencesInvokeConfig: invokeConfig('convergeFences', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 }),
  // A returned node is judged again on a retry (it is idempotent); a lost event leaves a record here.
  NodeReturnedInvokeConfig: invokeConfig('nodeReturned', { MaximumRetryAttempts: 2 }),
});

const invokeConfig = (fn: string, retries: Record<string, number>) => ({
  Type: 'AWS::Lambda::EventInvokeConfig',
  Properties: {
    FunctionName: { 'Fn::GetAtt': [functionLogicalId(fn), 'Arn'] },
    Qualifier: '$LATEST',
    ...retries,
    DestinationConfig: { OnFailure: { Destination: deadLetterQueueArn() } },
  },
});

/**
 * The workflow's own events reach the topic: executions started and ended badly (Step Functions'
 * status changes), and every receipt the workflow publishes (promoted or refused, with the reason).
 */
const eventRules = (deployment: DeploymentConfig, names: ControlPlaneNames) => {
  const target = [{ Id: 'alerts', Arn: topicArn(deployment), DeadLetterConfig: { Arn: deadLetterQueueArn() } }];
  return {
    [CONTROL_PLANE_IDS.executionEventsRule]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `${names.prefix}-failover-executions`,
        Description: 'Failover executions started, failed, timed out or aborted',
        EventPattern: {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: { stateMachineArn: [{ Ref: 'FailoverStateMachine' }], status: ['RUNNING', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
        },
        Targets: target,
      },
    },
    [CONTROL_PLANE_IDS.receiptEventsRule]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `${names.prefix}-failover-receipts`,
        Description: 'Receipts published by the failover workflow (promoted, refused, aborted)',
        // The source pgfo's events carry (shared/aws/events.ts EVENT_SOURCE; the package test checks they agree).
        EventPattern: { source: ['pgfo'] },
        Targets: target,
      },
    },
  };
};

/** Execution logs of the state machine (serverless.yml: loggingConfig points here). */
const logResources = (deployment: DeploymentConfig, names: ControlPlaneNames) => ({
  [CONTROL_PLANE_IDS.stateMachineLogGroup]: {
    Type: 'AWS::Logs::LogGroup',
    Properties: withTags(deployment, { LogGroupName: `/aws/vendedlogs/states/${names.prefix}-failover`, RetentionInDays: 90 }),
  },
});

/** Every control-plane resource: topic (unless configured), dead letters, event rules, logs, alarms. */
export const controlPlaneResources = (deployment: DeploymentConfig, names: ControlPlaneNames): Record<string, unknown> => ({
  ...topicResources(deployment, names),
  ...deadLetterResources(deployment, names),
  ...eventRules(deployment, names),
  ...logResources(deployment, names),
  ...Object.fromEntries([...lambdaAlarms(names), ...workflowAlarms(names)].map((alarm) => [alarm.id, alarmResource(alarm, deployment)])),
});
