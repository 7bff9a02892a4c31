import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FailoverConfig } from '../../shared/config/schema';
import { allStates, functionKeyOf, loadDefinition } from '../../local/state-machine';
import { aConfig } from '../fixtures/config';
import { LOCAL_STAGE } from '../../shared/config/stage-guard';

type Resource = { Type: string; Properties: Record<string, any> };
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  NotAction?: unknown;
  NotResource?: unknown;
}
interface Grant {
  role: string;
  action: string;
  resources: string[];
  condition: Statement['Condition'];
}

/** The configuration is the local example's (loopback hosts, made-up ids): only the local stage packages it. */
const STAGE = LOCAL_STAGE;
const PREFIX = `pgfo-${STAGE}`;
const arn = (service: string, region: string, account: boolean, rest: string) =>
  `arn:\${AWS::Partition}:${service}:${region}:${account ? '${AWS::AccountId}' : ''}:${rest}`;

/** Two clusters with their own zones, instances, credentials and DATABASE_URL regions. */
const twoClusters = (): FailoverConfig => {
  const config = aConfig();
  const billing = structuredClone(config.clusters[0]!);
  billing.name = 'billing';
  billing.route53 = { hostedZoneId: 'Z0BILLINGZONE42', recordName: 'db.billing.internal', ttl: 30 };
  billing.nodes.forEach((node, i) => Object.assign(node, { instanceId: `i-00000000000000b${i}`, region: i < 2 ? 'eu-west-1' : 'eu-central-1', az: i < 2 ? `eu-west-1${'ab'[i]}` : 'eu-central-1a' }));
  billing.databaseUrlParameters = [{ region: 'eu-west-1', name: '/billing/prod/DATABASE_URL' }];
  billing.credentials = {
    monitor: { user: 'pgfo_monitor', passwordParameter: '/pgfo/billing/monitor-password' },
    failover: { user: 'pgfo_failover', passwordParameter: '/pgfo/billing/failover-password' },
  };
  config.clusters.push(billing);
  billing.databaseUrlParameters[0]!.kmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-4607-8a9b-0c1d2e3f4a5b';
  config.deployment.vpc = { subnetIds: ['subnet-0a1b2c3d4e5f60718'], securityGroupIds: ['sg-0a1b2c3d4e5f6071a'] };
  config.deployment.kmsKeyArn = 'arn:aws:kms:us-west-2:123456789012:key/1f2e3d4c-5b6a-4789-8abc-def012345678';
  // The other control region's stack has its own (this suite reads the home stack's template).
  config.deployment.regions = {
    'us-east-2': {
      vpc: { subnetIds: ['subnet-0b2c3d4e5f6071829'], securityGroupIds: ['sg-0b2c3d4e5f607182b'] },
      kmsKeyArn: 'arn:aws:kms:us-east-2:123456789012:key/2a3b4c5d-6e7f-4801-9bcd-ef0123456789',
    },
  };
  return config;
};

/** Lambda creates a VPC function's network interfaces with its role; none of these can be scoped. */
const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];
/** What serverless-step-functions grants the state machine for execution logs and X-Ray (no resource scope exists). */
const STATE_MACHINE_UNSCOPABLE = [
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
  'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
];

/** A resource as a comparable string: Fn::Sub templates as written, Fn::GetAtt as "getatt:Id". */
const render = (resource: unknown): string => {
  if (typeof resource === 'string') return resource;
  const r = resource as { 'Fn::Sub'?: string | [string, Record<string, unknown>]; 'Fn::GetAtt'?: [string, string] };
  if (typeof r['Fn::Sub'] === 'string') return r['Fn::Sub'];
  if (Array.isArray(r['Fn::Sub'])) {
    const [template, vars] = r['Fn::Sub'];
    return template.replace(/\$\{(\w+)\}/g, (whole, name: string) => (name in vars ? render(vars[name]) : whole));
  }
  if (r['Fn::GetAtt']) return `getatt:${r['Fn::GetAtt'].join('.')}`;
  return JSON.stringify(resource);
};

describe('least privilege: every IAM role of the packaged service', () => {
  const config = twoClusters();
  const configFile = join('.build', 'least-privilege', 'clusters.yml');
  let out: string;
  let resources: Record<string, Resource>;
  let grants: Grant[];

  beforeAll(() => {
    mkdirSync(join('.build', 'least-privilege'), { recursive: true });
    writeFileSync(configFile, stringify(config));
    out = mkdtempSync(join(tmpdir(), 'pgfo-least-privilege-'));
    const packaged = spawnSync('npx', ['serverless', 'package', '--package', out, '--stage', STAGE], {
      encoding: 'utf8',
      env: { ...process.env, PGFO_CONFIG_FILE: configFile, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
      timeout: 170000,
    });
    expect(packaged.stdout + packaged.stderr).toContain('Service packaged');
    resources = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
    grants = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .flatMap(([role, r]) =>
        (r.Properties.Policies ?? []).flatMap((policy: { PolicyDocument: { Statement: Statement[] } }) =>
          policy.PolicyDocument.Statement.flatMap((s) => {
            expect({ role, Effect: s.Effect, NotAction: s.NotAction, NotResource: s.NotResource }).toEqual({ role, Effect: 'Allow', NotAction: undefined, NotResource: undefined });
            return [s.Action].flat().map((action) => ({ role, action, resources: [s.Resource].flat().map(render), condition: s.Condition }));
          }),
        ),
      );
  }, 180000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const granted = (predicate: (g: Grant) => boolean) => grants.filter(predicate);
  const roles = () => Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');

  it('covers every role, the state machine role the plugin generates included, and no managed policy', () => {
    const ids = roles().map(([id]) => id);
    expect(ids).toContain('FailoverStateMachineRole');
    expect(ids).toContain('MonitorRole');
    expect(ids.length).toBeGreaterThanOrEqual(16);
    for (const [id, role] of roles()) {
      expect({ id, managed: role.Properties.ManagedPolicyArns ?? [], boundary: role.Properties.PermissionsBoundary }).toEqual({ id, managed: [], boundary: undefined });
      const principals = role.Properties.AssumeRolePolicyDocument.Statement.map((s: { Principal: { Service: unknown } }) => render(s.Principal.Service));
      expect(principals).toEqual([id === 'FailoverStateMachineRole' ? 'states.${AWS::Region}.amazonaws.com' : 'lambda.amazonaws.com']);
    }
  });

  it('grants no wildcard action', () => {
    expect(grants.length).toBeGreaterThan(40);
    expect(granted((g) => g.action.includes('*') || !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(g.action))).toEqual([]);
  });

  it('grants Resource "*" only for the actions AWS cannot scope, PutMetricData only in the configured namespace', () => {
    const unscopable = ['cloudwatch:PutMetricData', 'cloudwatch:GetMetricData', 'ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeTags', 'ssm:GetCommandInvocation', ...NETWORK_INTERFACE_ACTIONS];
    for (const g of granted((g) => STATE_MACHINE_UNSCOPABLE.includes(g.action))) expect(g.role).toBe('FailoverStateMachineRole');
    const everything = granted((g) => g.resources.some((r) => r.includes('*') && !/:(change\/\*|log-group:\/aws\/lambda\/[\w-]+:\*)$/.test(r) && !/^getatt:\w+\.Arn:\*$/.test(r)));
    expect(everything.filter((g) => !((unscopable.includes(g.action) || STATE_MACHINE_UNSCOPABLE.includes(g.action)) && g.resources.length === 1 && g.resources[0] === '*'))).toEqual([]);
    for (const g of granted((g) => g.action === 'cloudwatch:PutMetricData')) expect(g.condition).toEqual({ StringEquals: { 'cloudwatch:namespace': config.namespace } });
  });

  it('reaches Route 53 only in the configured hosted zones (GetChange, which has no zone, on change/* only)', () => {
    const zones = config.clusters.map((c) => arn('route53', '', false, `hostedzone/${c.route53.hostedZoneId}`));
    expect(new Set(zones).size).toBe(2);
    const route53 = granted((g) => g.action.startsWith('route53:'));
    expect(route53.length).toBeGreaterThan(0);
    for (const g of route53) {
      if (g.action === 'route53:GetChange') expect(g.resources).toEqual([arn('route53', '', false, 'change/*')]);
      else expect({ g, outside: g.resources.filter((r) => !zones.includes(r)) }).toEqual({ g, outside: [] });
    }
    for (const g of granted((g) => g.action === 'route53:ChangeResourceRecordSets')) {
      expect(g.resources.sort()).toEqual([...zones].sort());
      expect(g.condition).toEqual({
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': config.clusters.map((c) => c.route53.recordName),
          'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      });
    }
  });

  it('reaches SSM only for the credential parameters (control region) and the DATABASE_URL parameters (their regions), writing only the latter', () => {
    const parameter = (region: string, name: string) => arn('ssm', region, true, `parameter${name}`);
    const credentials = config.clusters.flatMap((c) => [c.credentials.monitor, c.credentials.failover].map((l) => parameter(config.controlRegion, l.passwordParameter)));
    const urls = config.clusters.flatMap((c) => c.databaseUrlParameters.map((p) => parameter(p.region, p.name)));
    const ssm = granted((g) => g.action.startsWith('ssm:') && g.action.endsWith('Parameter'));
    expect(ssm.map((g) => g.action).sort()).toEqual(expect.arrayContaining(['ssm:GetParameter', 'ssm:PutParameter']));
    for (const g of ssm) {
      const allowed = g.action === 'ssm:GetParameter' ? [...credentials, ...urls] : g.action === 'ssm:PutParameter' ? urls : [];
      expect({ g, outside: g.resources.filter((r) => !allowed.includes(r)) }).toEqual({ g, outside: [] });
    }
  });

  it('runs commands only with the rejoin document (in the control and node regions), only on tagged cluster instances, and only the rejoin and switchover roles', () => {
    const regions = [...new Set([config.controlRegion, ...config.clusters.flatMap((c) => c.nodes.map((n) => n.region))])];
    const documents = regions.map((region) => arn('ssm', region, true, `document/${PREFIX}-rejoin`));
    const instances = config.clusters.flatMap((c) => c.nodes.map((n) => arn('ec2', n.region, true, `instance/${n.instanceId}`)));
    const commands = granted((g) => g.action.startsWith('ssm:') && !g.action.endsWith('Parameter'));
    // The switchover rejoins the old primary the way the rejoin function does.
    expect([...new Set(commands.map((g) => g.role))].sort()).toEqual(['RejoinRole', 'SwitchoverRole']);
    for (const g of commands) {
      if (g.action === 'ssm:GetCommandInvocation') expect(g.resources).toEqual(['*']);
      else if (g.action === 'ssm:SendCommand' && g.resources.some((r) => r.includes(':instance/'))) {
        expect(g.resources.sort()).toEqual([...instances].sort());
        expect(g.condition).toEqual({ StringEquals: { 'aws:ResourceTag/pgfo:cluster': config.clusters.map((c) => c.name) } });
      } else expect({ action: g.action, resources: g.resources.sort() }).toEqual({ action: g.action, resources: [...documents].sort() });
    }
    const retag = granted((g) => g.action === 'ec2:CreateTags');
    expect(retag.length).toBeGreaterThan(0);
    for (const g of retag) {
      expect(g.resources.sort()).toEqual([...instances].sort());
      expect(g.condition).toEqual({
        StringEquals: { 'aws:ResourceTag/pgfo:cluster': config.clusters.map((c) => c.name) },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['pgfo:fenced'] },
      });
    }
    const untag = granted((g) => g.action === 'ec2:DeleteTags');
    expect(untag.map((g) => g.role).sort()).toEqual(['RejoinRole', 'SwitchoverRole']);
    for (const g of untag) {
      expect(g.condition).toEqual({
        StringEquals: { 'aws:ResourceTag/pgfo:cluster': config.clusters.map((c) => c.name) },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['pgfo:fenced'] },
      });
    }
  });

  it("stops (the plan: DryRun) and tags (pgfo:fenced only) only the clusters' instances, in their regions, while they carry the cluster tag", () => {
    const instances = config.clusters.flatMap((c) => c.nodes.map((n) => arn('ec2', n.region, true, `instance/${n.instanceId}`)));
    const stops = granted((g) => g.action === 'ec2:StopInstances');
    expect(stops.length).toBeGreaterThan(0);
    for (const g of stops) {
      expect(g.resources.sort()).toEqual([...instances].sort());
      expect(g.condition).toEqual({ StringEquals: { 'aws:ResourceTag/pgfo:cluster': config.clusters.map((c) => c.name) } });
    }
    // The fence, the pending fence's completion, the returned node's fence again, and the plan (StopInstances with DryRun only).
    expect(stops.map((g) => g.role).sort()).toEqual(['ConvergeFencesRole', 'FencePrimaryRole', 'NodeReturnedRole', 'PlanRole']);
    const tags = granted((g) => g.action === 'ec2:CreateTags');
    expect(tags.map((g) => g.role).sort()).toEqual(['ConvergeFencesRole', 'FencePrimaryRole', 'NodeReturnedRole']);
    for (const g of tags) {
      expect(g.resources.sort()).toEqual([...instances].sort());
      expect(g.condition).toEqual({
        StringEquals: { 'aws:ResourceTag/pgfo:cluster': config.clusters.map((c) => c.name) },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['pgfo:fenced'] },
      });
    }
    expect(granted((g) => g.action.startsWith('ec2:') && ![...NETWORK_INTERFACE_ACTIONS, 'ec2:StopInstances', 'ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeTags', 'ec2:DeleteTags', 'ec2:CreateTags'].includes(g.action))).toEqual([]);
  });

  it('reaches DynamoDB only in the lease table, Step Functions only to start the failover (and the convergence to see running ones), Lambda only for its steps and the witness', () => {
    const leaseTable = arn('dynamodb', '${AWS::Region}', true, `table/${PREFIX}-leases`);
    for (const g of granted((g) => g.action.startsWith('dynamodb:'))) expect({ g, resources: g.resources }).toEqual({ g, resources: [leaseTable] });
    const stateMachine = arn('states', '${AWS::Region}', true, `stateMachine:${PREFIX}-failover`);
    const states = granted((g) => g.action.startsWith('states:'));
    for (const g of states) expect({ action: g.action, resources: g.resources }).toEqual({ action: g.action === 'states:ListExecutions' ? 'states:ListExecutions' : 'states:StartExecution', resources: [stateMachine] });
    expect(states.filter((g) => g.action === 'states:ListExecutions').map((g) => g.role)).toEqual(['ConvergeDnsRole']);
    const steps = allStates(loadDefinition()).flatMap(([, state]) => functionKeyOf(state) ?? []);
    const functions = [...new Set(steps)].map((key) => `getatt:${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction.Arn`);
    const invoke = granted((g) => g.action.startsWith('lambda:') && g.role === 'FailoverStateMachineRole');
    expect(invoke.map((g) => `${g.role} ${g.action}`)).toEqual(['FailoverStateMachineRole lambda:InvokeFunction']);
    expect(invoke[0]!.resources.sort()).toEqual(functions.flatMap((f) => [f, `${f}:*`]).sort());
    // Besides the state machine's steps: the witness function, in witnessRegion only, by the steps that ask it and the plan.
    const witness = granted((g) => g.action.startsWith('lambda:') && g.role !== 'FailoverStateMachineRole');
    expect(witness.map((g) => `${g.role} ${g.action}`).sort()).toEqual(['ConfirmOutageRole', 'FencePrimaryRole', 'PlanRole'].map((role) => `${role} lambda:InvokeFunction`));
    for (const g of witness) expect(g.resources).toEqual([arn('lambda', config.witnessRegion!, true, `function:pgfo-witness-${STAGE}-witness`)]);
  });

  it('writes logs only to the function\'s own log group, and events only to the configured bus', () => {
    const functionOfRole = new Map(
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((fn) => [render(fn.Properties.Role).replace(/^getatt:(\w+)\.Arn$/, '$1'), fn.Properties.FunctionName as string]),
    );
    for (const g of granted((g) => g.action.startsWith('logs:') && !STATE_MACHINE_UNSCOPABLE.includes(g.action))) {
      expect(g.resources).toEqual([arn('logs', '${AWS::Region}', true, `log-group:/aws/lambda/${functionOfRole.get(g.role)}:*`)]);
    }
    const events = granted((g) => g.action.startsWith('events:'));
    for (const g of events) expect(g.resources).toEqual([arn('events', '${AWS::Region}', true, 'event-bus/default')]);
    // The failover's receipt, a returned node's verdict, and the switchover's "writer changed".
    expect(events.map((g) => `${g.role} ${g.action}`).sort()).toEqual(['NodeReturnedRole events:PutEvents', 'PublishReceiptRole events:PutEvents', 'SwitchoverRole events:PutEvents']);
  });

  it('gives network-interface actions only to the roles of functions attached to the VPC', () => {
    const vpcRoles = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.VpcConfig)
      .map((fn) => render(fn.Properties.Role).replace(/^getatt:(\w+)\.Arn$/, '$1'));
    expect(vpcRoles.length).toBeGreaterThan(0);
    const eniRoles = [...new Set(granted((g) => NETWORK_INTERFACE_ACTIONS.includes(g.action)).map((g) => g.role))];
    expect(eniRoles.sort()).toEqual(vpcRoles.sort());
  });

  it('uses the configured keys only through SSM in their own region, and encrypts only where it writes', () => {
    const keys = granted((g) => g.action.startsWith('kms:'));
    expect(keys.length).toBeGreaterThan(0);
    const controlKey = config.deployment.kmsKeyArn!;
    const urlKey = config.clusters[1]!.databaseUrlParameters[0]!.kmsKeyArn!;
    for (const g of keys) {
      const region = g.resources[0] === controlKey ? config.controlRegion : 'eu-west-1';
      expect({ g, resources: g.resources, condition: g.condition }).toEqual({ g, resources: [expect.stringMatching(new RegExp(`^(${controlKey}|${urlKey})$`))], condition: { StringEquals: { 'kms:ViaService': `ssm.${region}.amazonaws.com` } } });
    }
    const encrypts = [...new Set(granted((g) => g.action === 'kms:Encrypt').map((g) => g.role))];
    // The three writers of DATABASE_URL: the failover's step, the switchover and the convergence.
    expect(encrypts.sort()).toEqual(['ConvergeDnsRole', 'RewriteDatabaseUrlRole', 'SwitchoverRole']);
    for (const g of granted((g) => g.action === 'kms:Encrypt')) expect(g.resources).toEqual([urlKey]);
  });

  it('sends messages only to the dead-letter queue, and only from the monitor, the trigger, nodeReturned and the two convergences', () => {
    const sends = granted((g) => g.action.startsWith('sqs:'));
    expect(sends.map((g) => `${g.role} ${g.action} ${g.resources.join()}`).sort()).toEqual([
      'ConvergeDnsRole sqs:SendMessage getatt:DeadLetterQueue.Arn',
      'ConvergeFencesRole sqs:SendMessage getatt:DeadLetterQueue.Arn',
      'MonitorRole sqs:SendMessage getatt:DeadLetterQueue.Arn',
      'NodeReturnedRole sqs:SendMessage getatt:DeadLetterQueue.Arn',
      'StartFailoverRole sqs:SendMessage getatt:DeadLetterQueue.Arn',
    ]);
  });

  it('grants nothing outside the services this test scopes', () => {
    const known = ['cloudwatch', 'dynamodb', 'ec2', 'events', 'kms', 'lambda', 'logs', 'route53', 'sqs', 'ssm', 'states', 'xray'];
    expect(granted((g) => !known.includes(g.action.split(':')[0]!))).toEqual([]);
  });
});
