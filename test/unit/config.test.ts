import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EXAMPLE_CONFIG_FILE, loadConfigFile, parseConfig } from '../../shared/config/load';
import { ConfigError } from '../../shared/errors';
import { aConfig } from '../fixtures/config';

const tempDirs: string[] = [];
const writeTemp = (content: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'pgfo-config-'));
  tempDirs.push(dir);
  const file = join(dir, 'clusters.yml');
  writeFileSync(file, content);
  return file;
};
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const problemsOf = (raw: unknown): string => {
  try {
    parseConfig(raw, 'clusters.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('cluster configuration', () => {
  it('accepts the shipped example and fills in documented defaults', () => {
    const config = loadConfigFile(EXAMPLE_CONFIG_FILE);
    expect(config.clusters.map((c) => c.name)).toEqual(['orders']);
    expect(config.clusters[0]?.nodes.map((n) => n.role)).toEqual(['primary', 'sync-standby', 'async-standby']);
    const minimal = aConfig();
    delete (minimal.clusters[0] as Record<string, unknown>).policy;
    expect(parseConfig(minimal, "x").clusters[0]?.policy).toMatchObject({ rpoSeconds: 30, maxLagBytes: 16 * 1024 * 1024, maxLagSeconds: 30, requiredSignals: 3, requireFencing: 'unless-region-unreachable', fenceTimeoutSeconds: 120 });
  });

  it('names the file, the path of the bad field and what was expected', () => {
    const raw = aConfig();
    (raw.clusters[0]!.nodes[1] as Record<string, unknown>).port = 'abc';
    const file = writeTemp(stringify(raw));
    expect(() => loadConfigFile(file)).toThrow(ConfigError);
    expect(() => loadConfigFile(file)).toThrow(`${file}: invalid configuration`);
    expect(() => loadConfigFile(file)).toThrow(/clusters\[0\]\.nodes\[1\]\.port: .*expected number.*\(got "abc"\)/);
  });

  it('refuses an inline password: credentials are references to SSM only', () => {
    const raw = aConfig();
    (raw.clusters[0]!.credentials.monitor as Record<string, unknown>).password = 'hunter2';
    const message = problemsOf(raw);
    expect(message).toContain('clusters[0].credentials.monitor: unknown field(s) password');
    expect(message).not.toContain('hunter2');
  });

  it('requires exactly one primary and unique node names', () => {
    const raw = aConfig();
    raw.clusters[0]!.nodes[1]!.role = 'primary';
    raw.clusters[0]!.nodes[2]!.name = raw.clusters[0]!.nodes[0]!.name;
    const message = problemsOf(raw);
    expect(message).toContain('clusters[0].nodes: expected exactly one node with role "primary" (got 2)');
    expect(message).toContain(`node name "${raw.clusters[0]!.nodes[0]!.name}" is used more than once`);
  });

  it('lists every problem at once, each with its path', () => {
    const raw = aConfig();
    raw.controlRegion = 'mars-1';
    raw.clusters[0]!.route53.hostedZoneId = '/hostedzone/Z1';
    raw.clusters[0]!.databaseUrlParameters[0]!.name = 'no-leading-slash';
    const message = problemsOf(raw);
    expect(message).toMatch(/controlRegion: .*AWS region.*\(got "mars-1"\)/);
    expect(message).toMatch(/clusters\[0\]\.route53\.hostedZoneId: /);
    expect(message).toMatch(/clusters\[0\]\.databaseUrlParameters\[0\]\.name: .*SSM parameter name/);
  });

  it('refuses alarm arithmetic that can never alarm', () => {
    const raw = aConfig();
    raw.clusters[0]!.alarms = { periodSeconds: 10, evaluationPeriods: 2, datapointsToAlarm: 3, monitorBlindSeconds: 60 };
    expect(problemsOf(raw)).toContain('clusters[0].alarms.datapointsToAlarm: must not exceed evaluationPeriods (3 > 2)');
  });

  it('defaults to managed synchronous replication, and names the field of a bad mode', () => {
    expect(parseConfig(aConfig(), 'x').clusters[0]?.policy).toMatchObject({ synchronousMode: 'on', syncLossSeconds: 10 });
    const raw = aConfig();
    (raw.clusters[0]!.policy as Record<string, unknown>).synchronousMode = 'always';
    expect(problemsOf(raw)).toMatch(/clusters\[0\]\.policy\.synchronousMode: /);
  });

  it('refuses strict synchronous mode without a standby in the primary region, and a loss window shorter than a sample', () => {
    const raw = aConfig();
    const primaryRegion = raw.clusters[0]!.nodes.find((n) => n.role === 'primary')!.region;
    for (const node of raw.clusters[0]!.nodes) if (node.role !== 'primary') node.region = primaryRegion === 'us-west-2' ? 'us-east-1' : 'us-west-2';
    (raw.clusters[0]!.policy as Record<string, unknown>).synchronousMode = 'strict';
    (raw.clusters[0]!.policy as Record<string, unknown>).syncLossSeconds = 5;
    const message = problemsOf(raw);
    expect(message).toContain(`clusters[0].policy.synchronousMode: "strict" needs a standby in the primary's region (${primaryRegion})`);
    expect(message).toContain('clusters[0].policy.syncLossSeconds: 5 s is shorter than monitor.sampleIntervalSeconds (10 s)');
  });

  it('names the file when it is missing or not YAML', () => {
    expect(() => loadConfigFile('/nonexistent/clusters.yml')).toThrow('/nonexistent/clusters.yml: cannot read configuration: ENOENT');
    const file = writeTemp('clusters: [unclosed');
    expect(() => loadConfigFile(file)).toThrow(`${file}: not valid YAML/JSON`);
  });
});
