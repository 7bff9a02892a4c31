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

/** Packages the service offline with `configFile` (none: PGFO_CONFIG_FILE unset, the default applies). */
const packageService = (configFile: string | undefined, stage = STAGE) => {
  const out = mkdtempSync(join(tmpdir(), 'pgfo-package-'));
  const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
  delete env[CONFIG_FILE_ENV];
  const result = spawnSync('npx', ['serverless', 'package', '--package', out, '--stage', stage], {
    encoding: 'utf8',
    env: configFile ? { ...env, [CONFIG_FILE_ENV]: configFile } : env,
    timeout: 120000,
  });
  return { out, result };
};

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

describe('serverless package (offline, no AWS credentials)', () => {
  const configDir = '.build';
  const twoClusters = join(configDir, 'two-clusters.yml');
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
    const packaged = packageService(twoClusters);
    out = packaged.out;
    expect(packaged.result.stderr + packaged.result.stdout).toContain('Service packaged');
    template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  });

  afterAll(() => rmSync(out, { recursive: true, force: true }));

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
    const statements = [
      ...ofType(template, 'AWS::IAM::Role').flatMap(([, role]) => (role.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement)),
      ...ofType(template, 'AWS::IAM::ManagedPolicy').flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement),
    ];
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

  it('passes cfn-lint and its serverless rules without an error', () => {
    const { errors } = cfnLint(join(out, 'cloudformation-template-update-stack.json'));
    expect(errors).toEqual([]);
  }, 600000);

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

describe('serverless package of a configuration for a real account (VPC, TLS, topic, key, tags)', () => {
  const configFile = 'config/clusters.aws-example.yml';
  const config = loadConfigFile(configFile);
  let template: Template;
  let out: string;

  beforeAll(() => {
    const packaged = packageService(configFile);
    out = packaged.out;
    expect(packaged.result.stderr + packaged.result.stdout).toContain('Service packaged');
    template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  }, 180000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const functions = () => ofType(template, 'AWS::Lambda::Function');
  const keyOf = (id: string) => id.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());

  it('puts every function whose bundle opens database sessions in the configured VPC, and only those', () => {
    const vpc = config.deployment.vpc!;
    const opensSessions = functions().filter(([id]) => bundlesPostgresClient(join(out, `${keyOf(id)}.zip`))).map(([id]) => keyOf(id));
    expect(opensSessions.sort()).toEqual([...DATABASE_FUNCTIONS].sort());
    for (const [id, fn] of functions()) {
      const expected = opensSessions.includes(keyOf(id)) ? { SubnetIds: vpc.subnetIds, SecurityGroupIds: vpc.securityGroupIds } : undefined;
      expect({ id, vpc: fn.Properties.VpcConfig }).toEqual({ id, vpc: expected });
    }
  });

  it("names the VPC in every function's environment, which the framework hashes into the version's name (resources.extensions it does not)", () => {
    const vpc = config.deployment.vpc!;
    for (const [id, fn] of functions()) {
      const fingerprint = String(fn.Properties.Environment.Variables.PGFO_VPC);
      expect({ id, names: [...vpc.subnetIds, ...vpc.securityGroupIds].every((x) => fingerprint.includes(x)) }).toEqual({ id, names: true });
    }
  });

  it("gives the roles of VPC functions the network-interface actions, and a key's use only through SSM", () => {
    for (const [id, fn] of functions()) {
      const role = template.Resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
      const actions = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement.flatMap((s: any) => s.Action));
      expect({ id, eni: actions.includes('ec2:CreateNetworkInterface') }).toEqual({ id, eni: fn.Properties.VpcConfig !== undefined });
      const kms = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement).filter((s: any) => s.Action.some((a: string) => a.startsWith('kms:')));
      for (const statement of kms) expect(statement.Condition.StringEquals['kms:ViaService']).toMatch(/^ssm\.[a-z0-9-]+\.amazonaws\.com$/);
    }
    const monitorRole = template.Resources.MonitorRole!.Properties.Policies[0].PolicyDocument.Statement;
    expect(monitorRole).toContainEqual(expect.objectContaining({ Action: ['kms:Decrypt'], Resource: config.deployment.kmsKeyArn }));
  });

  it('sends every alarm to the topic, which encrypts with the key and mails the configured address', () => {
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(7);
    for (const [id, alarm] of alarms) expect({ id, actions: alarm.Properties.AlarmActions }).toEqual({ id, actions: [{ Ref: 'AlertTopic' }] });
    const topic = template.Resources.AlertTopic!.Properties;
    expect(topic.KmsMasterKeyId).toBe(config.deployment.kmsKeyArn);
    expect(topic.Subscription).toEqual([{ Protocol: 'email', Endpoint: 'oncall@example.com' }]);
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
    const table = template.Resources.LeaseTable as unknown as { DeletionPolicy: string; UpdateReplacePolicy: string; Properties: Record<string, unknown> };
    expect([table.DeletionPolicy, table.UpdateReplacePolicy, table.Properties.DeletionProtectionEnabled]).toEqual(['Retain', 'Retain', true]);
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

  it('passes cfn-lint and its serverless rules without an error', () => {
    const { errors } = cfnLint(join(out, 'cloudformation-template-update-stack.json'));
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
