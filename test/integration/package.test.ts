import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { aConfig } from '../fixtures/config';

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

const packageService = (configFile: string) => {
  const out = mkdtempSync(join(tmpdir(), 'pgfo-package-'));
  const result = spawnSync('npx', ['serverless', 'package', '--package', out, '--stage', 'test'], {
    encoding: 'utf8',
    env: { ...process.env, PGFO_CONFIG_FILE: configFile, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    timeout: 120000,
  });
  return { out, result };
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
      expect(alarms).toContain(`pgfo-test-${cluster}-primary-unreachable`);
      expect(alarms).toContain(`pgfo-test-${cluster}-standby_dr-replication-lag`);
      expect(alarms).toContain(`pgfo-test-${cluster}-monitor-blind`);
    }
    expect(alarms).toHaveLength(16);
    const dashboards = ofType(template, 'AWS::CloudWatch::Dashboard').map(([, d]) => d.Properties.DashboardName);
    expect(dashboards.sort()).toEqual(['pgfo-test-billing', 'pgfo-test-orders']);
  });

  it('has no IAM statement with a wildcard action', () => {
    const statements = ofType(template, 'AWS::IAM::Role').flatMap(([, role]) =>
      (role.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement),
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
    }
    const ssm = statements.find((s: any) => [s.Action].flat().includes('ssm:GetParameter'));
    expect(JSON.stringify(ssm.Resource)).toContain('parameter/pgfo/orders/monitor-password');
    expect(JSON.stringify(ssm.Resource)).not.toContain('failover-password');
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
});
