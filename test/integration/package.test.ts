import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EVENT_SOURCE } from '../../shared/aws/events';
import { DATABASE_FUNCTIONS } from '../../shared/infra/resources';
import { DURATION_ALARM_SHARE, FUNCTION_TIMEOUTS, functionLogicalId } from '../../shared/infra/control-plane';
import { OPERATOR_POLICIES } from '../../shared/infra/iam-operators';
import { CONFIG_FILE_ENV, loadConfigFile } from '../../shared/config/load';
import { stackDeployment } from '../../shared/config/stack-deployment';
import { LOCAL_STAGE } from '../../shared/config/stage-guard';
import { PGFO_VERSION } from '../../shared/version';
import { allStates, functionKeyOf, loadDefinition } from '../../local/state-machine';
import { aConfig } from '../fixtures/config';

type Template = {
  Resources: Record<string, { Type: string; DeletionPolicy?: string; Properties: Record<string, any> }>;
  Outputs: Record<string, { Value: unknown }>;
};

/** The stage these packages use: they package example configurations (loopback hosts, made-up ids) on purpose. */
const STAGE = LOCAL_STAGE;
const PREFIX = `pgfo-${STAGE}`;

/**
 * Packages the service offline with `configFile` (none: PGFO_CONFIG_FILE unset, the default applies)
 * for the stack in `region` (none: no --region, the home region's).
 */
const packageService = (configFile: string | undefined, stage = STAGE, region?: string) => {
  const out = mkdtempSync(join(tmpdir(), 'pgfo-package-'));
  const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
  delete env[CONFIG_FILE_ENV];
  const result = spawnSync('npx', ['serverless', 'package', '--package', out, '--stage', stage, ...(region ? ['--region', region] : [])], {
    encoding: 'utf8',
    env: configFile ? { ...env, [CONFIG_FILE_ENV]: configFile } : env,
    timeout: 120000,
  });
  return { out, result };
};

/**
 * The stack of every control region of `configFile` packaged (the home one without --region, which
 * proves it is the default), by region; `regions[0]` is the home.
 */
const packageEveryStack = (configFile: string, regions: string[]) =>
  Object.fromEntries(
    regions.map((region, i) => {
      const { out, result } = packageService(configFile, STAGE, i === 0 ? undefined : region);
      expect({ region, packaged: (result.stderr + result.stdout).includes(`Service packaged`), stack: (result.stderr + result.stdout).includes(`(${region})`) }).toEqual({ region, packaged: true, stack: true });
      return [region, { out, template: JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template }];
    }),
  );

/** Installs cfn-lint (with the serverless rules) into .venv/cfn-lint unless it is there already. */
const cfnLint = (templateFile: string) => {
  const install = spawnSync('bash', ['scripts/install-cfn-lint.sh'], { encoding: 'utf8', timeout: 600000 });
  expect(install.stderr + install.stdout).toMatch(/cfn-lint: (already installed|installed)/);
  const lint = spawnSync('.venv/cfn-lint/bin/cfn-lint', ['--append-rules', 'cfn_lint_serverless.rules', '--format', 'parseable', '--', templateFile], {
    encoding: 'utf8',
    timeout: 300000,
  });
  expect(lint.error).toBeUndefined();
  const findings = lint.stdout.split('\n').filter(Boolean).map((line) => ({ rule: line.split(':')[5] ?? line, line }));
  return { errors: findings.filter((f) => /^E/.test(f.rule)).map((f) => f.line), warnings: findings.filter((f) => !/^E/.test(f.rule)) };
};

/** Whether a function's packaged bundle holds the PostgreSQL client (its SCRAM handshake). */
const bundlesPostgresClient = (zipFile: string): boolean => {
  const script = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(any(b"SCRAM-SHA-256" in z.read(n) for n in z.namelist() if n.endswith(".js")))';
  const result = spawnSync('python3', ['-c', script, zipFile], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stdout.trim() === 'True';
};

const ofType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** Every IAM statement of the roles and managed policies of a template. */
const statementsOf = (template: Template) => [
  ...ofType(template, 'AWS::IAM::Role').flatMap(([, role]) => (role.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement)),
  ...ofType(template, 'AWS::IAM::ManagedPolicy').flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement),
];

describe('serverless package (offline, no AWS credentials)', () => {
  const configDir = '.build';
  const twoClusters = join(configDir, 'two-clusters.yml');
  const regions = aConfig().controlRegions;
  const [home, other] = regions as [string, string];
  let stacks: Record<string, { out: string; template: Template }>;
  let template: Template;
  let out: string;

  beforeAll(() => {
    mkdirSync(configDir, { recursive: true });
    const config = aConfig();
    const second = structuredClone(config.clusters[0]!);
    second.name = 'billing';
    second.nodes.forEach((node, i) => (node.instanceId = `i-00000000000000b${i}`));
    config.clusters.push(second);
    writeFileSync(twoClusters, stringify(config));
    stacks = packageEveryStack(twoClusters, regions);
    ({ out, template } = stacks[home]!);
  }, 240000);

  afterAll(() => Object.values(stacks).forEach((stack) => rmSync(stack.out, { recursive: true, force: true })));

  it('schedules the monitor every minute on nodejs22.x with the configuration packaged beside it', () => {
    const [, fn] = ofType(template, 'AWS::Lambda::Function').find(([id]) => id === 'MonitorLambdaFunction')!;
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Environment.Variables.PGFO_CONFIG_FILE).toBe(twoClusters);
    const rules = ofType(template, 'AWS::Events::Rule').map(([, r]) => r.Properties.ScheduleExpression);
    expect(rules).toContain('rate(1 minute)');
    const listing = spawnSync('python3', ['-m', 'zipfile', '-l', join(out, 'monitor.zip')], { encoding: 'utf8' }).stdout;
    expect(listing).toContain(twoClusters);
  });

  it('generates the alarms and a dashboard for every configured cluster', () => {
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName as string);
    for (const cluster of ['orders', 'billing']) {
      expect(alarms).toContain(`${PREFIX}-${cluster}-primary-unreachable`);
      expect(alarms).toContain(`${PREFIX}-${cluster}-standby_dr-replication-lag`);
      expect(alarms).toContain(`${PREFIX}-${cluster}-monitor-blind`);
    }
    expect(alarms.filter((name) => !name.startsWith(`${PREFIX}-control-`))).toHaveLength(18);
    const dashboards = ofType(template, 'AWS::CloudWatch::Dashboard').map(([, d]) => d.Properties.DashboardName);
    expect(dashboards.sort()).toEqual([`${PREFIX}-billing`, `${PREFIX}-orders`]);
  });

  it('binds every Task of the workflow to the version of its function this package publishes, kept after later deploys', () => {
    const machines = ofType(template, 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    const [body, params] = machines[0]![1].Properties.DefinitionString['Fn::Sub'] as [string, Record<string, { Ref?: string }>];
    const source = new Map(allStates(loadDefinition()).filter(([, s]) => s.Type === 'Task').map(([name, s]) => [name, functionKeyOf(s)!]));
    const tasks = allStates(JSON.parse(body)).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual([...source.keys()].sort());
    for (const [name, task] of tasks) {
      const param = /^\$\{(\w+)\}$/.exec(String(task.Resource))?.[1];
      const ref = param === undefined ? undefined : params[param]?.Ref;
      const version = ref === undefined ? undefined : template.Resources[ref];
      expect({ name, type: version?.Type, of: version?.Properties.FunctionName, kept: version?.DeletionPolicy }).toEqual({
        name,
        type: 'AWS::Lambda::Version',
        of: { Ref: functionLogicalId(source.get(name)!) },
        kept: 'Retain',
      });
    }
    // That the workflow's role may invoke versions (`<function ARN>:*`) is proved in least-privilege.test.ts.
  });

  it("creates the operators' read-only and operator policies, and outputs their ARNs and the release", () => {
    const policies = ofType(template, 'AWS::IAM::ManagedPolicy').map(([id, p]) => [id, p.Properties.ManagedPolicyName]);
    expect(policies.sort()).toEqual([
      [OPERATOR_POLICIES.operate.id, `pgfo-${LOCAL_STAGE}-operator`],
      [OPERATOR_POLICIES.read.id, `pgfo-${LOCAL_STAGE}-read-only`],
    ]);
    expect(template.Outputs).toMatchObject({
      OperatorReadOnlyPolicyArn: { Value: { Ref: OPERATOR_POLICIES.read.id } },
      OperatorPolicyArn: { Value: { Ref: OPERATOR_POLICIES.operate.id } },
      Version: { Value: PGFO_VERSION },
    });
  });

  it('has no IAM statement with a wildcard action', () => {
    const statements = statementsOf(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
    }
    const ssm = statements.find((s: any) => [s.Action].flat().includes('ssm:GetParameter'));
    // The monitor reads its own password, and the failover login's for the synchronous standby's
    // management (ALTER SYSTEM on synchronous_standby_names): exactly those two per cluster.
    const names = [ssm.Resource].flat().map((r: unknown) => /parameter(\/[^"]+)/.exec(JSON.stringify(r))?.[1]);
    expect(names.filter((n: string | undefined) => n?.startsWith('/pgfo/orders/')).sort()).toEqual(['/pgfo/orders/failover-password', '/pgfo/orders/monitor-password']);
  });

  it('packages one stack per control region: the home one declares the shared global table, the other uses its replica by name', () => {
    const table = stacks[home]!.template.Resources.LeaseTable!;
    expect(table.Type).toBe('AWS::DynamoDB::GlobalTable');
    expect(table.Properties.Replicas.map((r: { Region: string }) => r.Region)).toEqual(expect.arrayContaining(regions));
    expect(ofType(stacks[other]!.template, 'AWS::DynamoDB::GlobalTable').concat(ofType(stacks[other]!.template, 'AWS::DynamoDB::Table'))).toEqual([]);
    for (const region of regions) {
      const { template: stack } = stacks[region]!;
      expect({ region, table: stack.Resources.MonitorLambdaFunction!.Properties.Environment.Variables.PGFO_LEASE_TABLE }).toEqual({ region, table: table.Properties.TableName });
      // Each stack's functions reach the table through the replica in their own region.
      const tableArns = statementsOf(stack).filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('dynamodb:'))).map((st: any) => JSON.stringify(st.Resource));
      expect(new Set(tableArns)).toEqual(new Set([JSON.stringify({ 'Fn::Sub': `arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${table.Properties.TableName}` })]));
    }
  });

  it('keeps the names IAM and dashboards hold account-wide apart: the other stack\'s carry its region, roles are named by CloudFormation', () => {
    const accountWide = (region: string) =>
      Object.values(stacks[region]!.template.Resources).flatMap((r) => [r.Properties.ManagedPolicyName, r.Properties.DashboardName, r.Properties.RoleName].filter((n) => n !== undefined));
    expect(accountWide(home).sort()).toEqual([`${PREFIX}-billing`, `${PREFIX}-operator`, `${PREFIX}-orders`, `${PREFIX}-read-only`]);
    expect(accountWide(other).sort()).toEqual([`${PREFIX}-${other}-billing`, `${PREFIX}-${other}-operator`, `${PREFIX}-${other}-orders`, `${PREFIX}-${other}-read-only`]);
    // No explicit RoleName above: CloudFormation gives each stack's roles names of their own.
    expect(ofType(stacks[other]!.template, 'AWS::IAM::Role').length).toBeGreaterThan(20);
  });

  it("reads the credentials and the failover alarms, and draws the dashboards, in the stack's own region", () => {
    for (const region of regions) {
      const { template: stack } = stacks[region]!;
      const regional = statementsOf(stack).filter((st: any) => [st.Action].flat().some((a: string) => a === 'ssm:GetParameter' || a === 'cloudwatch:DescribeAlarms'));
      const named = regional.flatMap((st: any) => [st.Resource].flat()).map((r: unknown) => /:(ssm|cloudwatch):([a-z0-9-]+):.*(parameter\/pgfo\/|alarm:)/.exec(JSON.stringify(r)));
      const credentials = named.filter((m): m is RegExpExecArray => m !== null);
      expect(credentials.length).toBeGreaterThan(10);
      expect({ region, regions: [...new Set(credentials.map((m) => m[2]))] }).toEqual({ region, regions: [region] });
      for (const [, dashboard] of ofType(stack, 'AWS::CloudWatch::Dashboard')) {
        const widgets = JSON.parse(dashboard.Properties.DashboardBody['Fn::Sub']).widgets.filter((w: any) => w.type === 'metric');
        expect({ region, drawn: [...new Set(widgets.map((w: any) => w.properties.region))] }).toEqual({ region, drawn: [region] });
      }
    }
  });

  it.each(regions)('the %s stack passes cfn-lint and its serverless rules without an error', (region) => {
    const { errors } = cfnLint(join(stacks[region]!.out, 'cloudformation-template-update-stack.json'));
    expect(errors).toEqual([]);
  }, 600000);

  it('refuses to package a stack for a region outside controlRegions, naming them', () => {
    const { out: refusedOut, result } = packageService(twoClusters, STAGE, 'eu-west-1');
    rmSync(refusedOut, { recursive: true, force: true });
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(`${twoClusters}: --region eu-west-1 is not one of controlRegions (${regions.join(', ')})`);
  });

  it('refuses to package a bad configuration and names the field', () => {
    const bad = join(configDir, 'bad.yml');
    const config = aConfig();
    (config.clusters[0]!.policy as Record<string, unknown>).rpoSeconds = -5;
    writeFileSync(bad, stringify(config));
    const { out: badOut, result } = packageService(bad);
    rmSync(badOut, { recursive: true, force: true });
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/clusters\[0\]\.policy\.rpoSeconds: .*\(got -5\)/);
  });

  it(`refuses to package the default example for a stage other than ${STAGE}, naming each loopback host and placeholder id`, () => {
    const { out: refusedOut, result } = packageService(undefined, 'prod');
    rmSync(refusedOut, { recursive: true, force: true });
    const output = result.stdout + result.stderr;
    expect(result.status).not.toBe(0);
    expect(output).toContain(`config/clusters.example.yml (the default: ${CONFIG_FILE_ENV} is not set): not deployable to stage prod`);
    expect(output).toContain('clusters[0].nodes[1].host: loopback address 127.0.0.1 is refused for stage prod');
    expect(output).toContain('clusters[0].route53.hostedZoneId: placeholder id Z0LOCALPLACEHOLDER (it spells PLACEHOLDER) is refused for stage prod');
  });
});

describe('serverless package of a configuration for a real account (VPC, TLS, topic, key, tags), in each control region', () => {
  const configFile = 'config/clusters.aws-example.yml';
  const config = loadConfigFile(configFile);
  const regions = config.controlRegions;
  let stacks: Record<string, { out: string; template: Template }>;
  /** The home region's stack. */
  let template: Template;
  let out: string;

  beforeAll(() => {
    stacks = packageEveryStack(configFile, regions);
    ({ out, template } = stacks[regions[0]!]!);
  }, 240000);
  afterAll(() => Object.values(stacks).forEach((stack) => rmSync(stack.out, { recursive: true, force: true })));

  const functions = (region: string) => ofType(stacks[region]!.template, 'AWS::Lambda::Function');
  const keyOf = (id: string) => id.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
  /** The region's own VPC and key: the top-level ones for the home, deployment.regions.<region> for the other. */
  const own = (region: string) => {
    const settings = stackDeployment(config, region);
    expect(settings.vpc && settings.kmsKeyArn).toBeDefined();
    return settings as { vpc: NonNullable<typeof settings.vpc>; kmsKeyArn: string };
  };

  it("puts every function whose bundle opens database sessions in its region's configured VPC, and only those", () => {
    expect(own(regions[1]!).vpc).not.toEqual(own(regions[0]!).vpc);
    for (const region of regions) {
      const { vpc } = own(region);
      const opensSessions = functions(region).filter(([id]) => bundlesPostgresClient(join(stacks[region]!.out, `${keyOf(id)}.zip`))).map(([id]) => keyOf(id));
      expect(opensSessions.sort()).toEqual([...DATABASE_FUNCTIONS].sort());
      for (const [id, fn] of functions(region)) {
        const expected = opensSessions.includes(keyOf(id)) ? { SubnetIds: vpc.subnetIds, SecurityGroupIds: vpc.securityGroupIds } : undefined;
        expect({ region, id, vpc: fn.Properties.VpcConfig }).toEqual({ region, id, vpc: expected });
      }
    }
  });

  it("names the VPC in every function's environment, which the framework hashes into the version's name (resources.extensions it does not)", () => {
    for (const region of regions) {
      const { vpc } = own(region);
      for (const [id, fn] of functions(region)) {
        const fingerprint = String(fn.Properties.Environment.Variables.PGFO_VPC);
        expect({ region, id, names: [...vpc.subnetIds, ...vpc.securityGroupIds].every((x) => fingerprint.includes(x)) }).toEqual({ region, id, names: true });
      }
    }
  });

  it("gives the roles of VPC functions the network-interface actions, and the region's own key only through SSM there", () => {
    for (const region of regions) {
      const { template: stack } = stacks[region]!;
      for (const [id, fn] of functions(region)) {
        const role = stack.Resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
        const actions = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement.flatMap((s: any) => s.Action));
        expect({ id, eni: actions.includes('ec2:CreateNetworkInterface') }).toEqual({ id, eni: fn.Properties.VpcConfig !== undefined });
        const kms = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement).filter((s: any) => s.Action.some((a: string) => a.startsWith('kms:')));
        for (const statement of kms) expect(statement.Condition.StringEquals['kms:ViaService']).toMatch(/^ssm\.[a-z0-9-]+\.amazonaws\.com$/);
      }
      const monitorRole = stack.Resources.MonitorRole!.Properties.Policies[0].PolicyDocument.Statement;
      expect(monitorRole).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: own(region).kmsKeyArn, Condition: { StringEquals: { 'kms:ViaService': `ssm.${region}.amazonaws.com` } } });
    }
  });

  it("sends every alarm to the stack's topic, which encrypts with the region's key and mails the configured address", () => {
    for (const region of regions) {
      const { template: stack } = stacks[region]!;
      const alarms = ofType(stack, 'AWS::CloudWatch::Alarm');
      expect(alarms.length).toBeGreaterThan(7);
      for (const [id, alarm] of alarms) expect({ id, actions: alarm.Properties.AlarmActions }).toEqual({ id, actions: [{ Ref: 'AlertTopic' }] });
      const topic = stack.Resources.AlertTopic!.Properties;
      expect(topic.KmsMasterKeyId).toBe(own(region).kmsKeyArn);
      expect(topic.Subscription).toEqual([{ Protocol: 'email', Endpoint: 'oncall@example.com' }]);
    }
  });

  it('watches the control plane: monitor errors, throttles and duration near its timeout, failed executions, trigger errors, dead letters', () => {
    const alarms = Object.fromEntries(ofType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
    for (const suffix of ['monitor-errors', 'monitor-throttles', 'monitor-duration', 'trigger-errors', 'executions-failed', 'executions-timedout', 'dead-letters']) {
      expect(Object.keys(alarms)).toContain(`${PREFIX}-control-${suffix}`);
    }
    const monitor = template.Resources.MonitorLambdaFunction!.Properties;
    expect(monitor.Timeout).toBe(FUNCTION_TIMEOUTS.monitor);
    expect(template.Resources.StartFailoverLambdaFunction!.Properties.Timeout).toBe(FUNCTION_TIMEOUTS.startFailover);
    expect(alarms[`${PREFIX}-control-monitor-duration`]!.Threshold).toBe(monitor.Timeout * 1000 * DURATION_ALARM_SHARE);
  });

  it('sends undeliverable trigger events and failed trigger invocations to the dead-letter queue, and reserves concurrency', () => {
    const dlq = { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] };
    const rule = ofType(template, 'AWS::Events::Rule').find(([, r]) => r.Properties.Name === `${PREFIX}-failover-trigger`)!;
    expect(rule[1].Properties.Targets[0].DeadLetterConfig).toEqual({ Arn: dlq });
    const invokeConfig = ofType(template, 'AWS::Lambda::EventInvokeConfig').find(([, c]) => c.Properties.FunctionName['Fn::GetAtt'][0] === 'StartFailoverLambdaFunction')!;
    expect(invokeConfig[1].Properties.DestinationConfig).toEqual({ OnFailure: { Destination: dlq } });
    expect(template.Resources.MonitorLambdaFunction!.Properties.ReservedConcurrentExecutions).toBe(config.deployment.reservedConcurrency.monitor);
    expect(template.Resources.StartFailoverLambdaFunction!.Properties.ReservedConcurrentExecutions).toBe(config.deployment.reservedConcurrency.trigger);
  });

  it("forwards the workflow's receipts and execution failures to the topic", () => {
    const patterns = ofType(template, 'AWS::Events::Rule').filter(([, r]) => r.Properties.Targets[0].Arn.Ref === 'AlertTopic').map(([, r]) => r.Properties.EventPattern);
    expect(patterns).toContainEqual({ source: [EVENT_SOURCE] });
    expect(patterns).toContainEqual(expect.objectContaining({ source: ['aws.states'] }));
  });

  it('keeps the lease table on stack deletion, logs executions, and tags every resource that takes tags', () => {
    // The home stack's global table (writerLease): every replica protected from deletion.
    const table = template.Resources.LeaseTable as unknown as { Type: string; DeletionPolicy: string; UpdateReplacePolicy: string; Properties: { Replicas: Array<Record<string, unknown>> } };
    expect([table.Type, table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['AWS::DynamoDB::GlobalTable', 'Retain', 'Retain']);
    expect(table.Properties.Replicas.map((r) => [r.Region, r.DeletionProtectionEnabled])).toEqual(config.deployment.writerLease!.replicaRegions.map((r) => [r, true]));
    expect(template.Resources.FailoverStateMachine!.Properties.LoggingConfiguration.Level).toBe('ALL');
    const tags = Object.entries(config.deployment.tags).map(([Key, Value]) => ({ Key, Value }));
    const taggable = ['AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::DynamoDB::Table', 'AWS::SNS::Topic', 'AWS::SQS::Queue', 'AWS::CloudWatch::Alarm', 'AWS::Logs::LogGroup', 'AWS::StepFunctions::StateMachine'];
    const resources = Object.entries(template.Resources).filter(([, r]) => taggable.includes(r.Type));
    expect(resources.length).toBeGreaterThan(40);
    for (const [id, resource] of resources) expect({ id, tags: resource.Properties.Tags }).toEqual({ id, tags: expect.arrayContaining(tags) });
  });

  it('packages the CA bundle the TLS settings name beside the configuration', () => {
    const listing = spawnSync('python3', ['-m', 'zipfile', '-l', join(out, 'status.zip')], { encoding: 'utf8' }).stdout;
    expect(listing).toContain('config/ca/example-ca.pem');
    expect(listing).toContain(configFile);
  });

  it.each(regions)('the %s stack passes cfn-lint and its serverless rules without an error', (region) => {
    const { errors } = cfnLint(join(stacks[region]!.out, 'cloudformation-template-update-stack.json'));
    expect(errors).toEqual([]);
  }, 600000);
});

/** The CloudFormation examples operators deploy next to pgfo (docs/applications.md, docs/deploy.md). */
describe('the example templates in docs/examples', () => {
  const examples = readdirSync(join('docs', 'examples')).filter((file) => file.endsWith('.yml'));

  it.each(examples)('%s passes cfn-lint without an error or a warning', (file) => {
    const { errors, warnings } = cfnLint(join('docs', 'examples', file));
    expect({ errors, warnings: warnings.map((w) => w.line) }).toEqual({ errors: [], warnings: [] });
  });
});
