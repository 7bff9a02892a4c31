import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EXAMPLE_CONFIG_FILE, loadConfigFile, loadConfigForStage } from '../../shared/config/load';
import type { FailoverConfig } from '../../shared/config/schema';
import { LOCAL_STAGE, loopbackReason, placeholderReason, stageProblems } from '../../shared/config/stage-guard';
import { ConfigError } from '../../shared/errors';
import { aConfig } from '../fixtures/config';

/** The example with what a real account has: private addresses and random-looking ids. */
const aDeployableConfig = (): FailoverConfig => {
  const config = aConfig();
  const cluster = config.clusters[0]!;
  const ids = ['i-0598c7d356eba48d7', 'i-0e2f1a9c4b7d3e861', 'i-07c4d2e9a1f5b3068'];
  cluster.nodes.forEach((node, i) => Object.assign(node, { host: `10.1.${i}.10`, instanceId: ids[i]! }));
  cluster.route53.hostedZoneId = 'Z1PA6795UKMFR9';
  return config;
};

describe('what a stage other than the local one refuses to package', () => {
  it('refuses the local example for stage prod, naming every loopback host and placeholder id', () => {
    const problems = stageProblems(loadConfigFile(EXAMPLE_CONFIG_FILE), 'prod');
    expect(problems).toContain('clusters[0].nodes[1].host: loopback address 127.0.0.1 is refused for stage prod');
    expect(problems).toContain('clusters[0].nodes[0].instanceId: placeholder id i-0000000000000001a (15 × "0") is refused for stage prod');
    expect(problems).toContain('clusters[0].route53.hostedZoneId: placeholder id Z0LOCALPLACEHOLDER (it spells PLACEHOLDER) is refused for stage prod');
    expect(problems).toHaveLength(7);
  });

  it('refuses the placeholders of the AWS example too (its ids are made up)', () => {
    expect(stageProblems(loadConfigFile('config/clusters.aws-example.yml'), 'staging')).toEqual([
      'clusters[0].nodes[0].instanceId: placeholder id i-0a1b2c3d4e5f60701 (it counts 0a1b2c3d) is refused for stage staging',
      'clusters[0].nodes[1].instanceId: placeholder id i-0a1b2c3d4e5f60702 (it counts 0a1b2c3d) is refused for stage staging',
      'clusters[0].nodes[2].instanceId: placeholder id i-0a1b2c3d4e5f60703 (it counts 0a1b2c3d) is refused for stage staging',
      'clusters[0].route53.hostedZoneId: placeholder id Z0123456789ABCDEFGHIJ (it counts 01234567) is refused for stage staging',
    ]);
  });

  it(`accepts the example for stage ${LOCAL_STAGE}, and a configuration of real addresses and ids for prod`, () => {
    expect(stageProblems(loadConfigFile(EXAMPLE_CONFIG_FILE), LOCAL_STAGE)).toEqual([]);
    expect(stageProblems(aDeployableConfig(), 'prod')).toEqual([]);
  });

  it('checks every host a function connects to: client hosts, replication endpoints, subscribers', () => {
    const config = aDeployableConfig();
    const cluster = config.clusters[0]!;
    cluster.nodes[0]!.clientHost = 'localhost';
    cluster.nodes[2]!.replicationEndpoints = [{ region: 'us-east-1', host: '::1', port: 5432 }];
    cluster.subscribers = [{ name: 'reports', region: 'us-east-1', host: '127.0.0.2', port: 5432, database: 'reports', subscription: 'orders_sub' }];
    expect(stageProblems(config, 'prod')).toEqual([
      'clusters[0].nodes[0].clientHost: loopback name localhost is refused for stage prod',
      'clusters[0].nodes[2].replicationEndpoints[0].host: loopback address ::1 is refused for stage prod',
      'clusters[0].subscribers[0].host: loopback address 127.0.0.2 is refused for stage prod',
    ]);
  });

  it.each(['127.0.0.1', '127.255.0.9', '127.1', '2130706433', 'LOCALHOST.', 'db.localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '0.0.0.0', '::'])(
    'reads %s as this machine',
    (host) => expect(loopbackReason(host)).toMatch(/^(loopback|unspecified) (address|name) /),
  );

  it.each(['10.1.1.10', '128.0.0.1', '::2', 'pg-dr.usw2.orders.internal', 'localhost.example.com', 'my-localhost'])('reads %s as another machine', (host) =>
    expect(loopbackReason(host)).toBeNull(),
  );

  it.each(['i-0000000000000001a', 'i-1234567890abcdef0', 'i-0a1b2c3d4e5f60701', 'Z0LOCALPLACEHOLDER', 'Z3M3LMPEXAMPLE', 'Z0123456789ABCDEFGHIJ', 'ZAAAAAAAAAAAA'])(
    'reads %s as a placeholder',
    (id) => expect(placeholderReason(id)).toMatch(/^placeholder id /),
  );

  it.each(['i-0598c7d356eba48d7', 'i-0e2f1a9c4b7d3e861', 'i-5c3e9a71', 'Z1PA6795UKMFR9', 'Z08113773HQ2MD8P4XVRD'])('reads %s as a real id', (id) =>
    expect(placeholderReason(id)).toBeNull(),
  );
});

describe('loading a configuration to package for a stage', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'pgfo-stage-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses it with a ConfigError naming the source, each field, and the stage that accepts them', () => {
    const file = join(dir, 'prod.yml');
    const config = aDeployableConfig();
    config.clusters[0]!.nodes[1]!.host = '127.0.0.1';
    writeFileSync(file, stringify(config));
    expect(() => loadConfigForStage(file, 'prod', `${file} (named)`)).toThrow(ConfigError);
    expect(() => loadConfigForStage(file, 'prod', `${file} (named)`)).toThrow(
      `${file} (named): not deployable to stage prod:\n  clusters[0].nodes[1].host: loopback address 127.0.0.1 is refused for stage prod\n(only stage local accepts them`,
    );
    expect(loadConfigForStage(file, LOCAL_STAGE).clusters[0]!.nodes[1]!.host).toBe('127.0.0.1');
  });
});
