import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_CONFIG_FILE, loadConfigFile, parseConfig } from '../shared/config/load';
import { LOCAL_STAGE } from '../shared/config/stage-guard';
import type { ClusterConfig, FailoverConfig } from '../shared/config/schema';
import { resetClients } from '../shared/aws/clients';
import { clearSecretCache } from '../shared/aws/ssm';
import { registerSecret } from '../shared/log';
import { deploymentNames } from '../shared/infra/resources';
import { createTopology, type Login, type Topology } from './topology';
import { localHosts, LOCAL_HOSTS_ENV } from './run-command';
import { seedEmulator } from './seed';
import type { PooledTopologies, TopologyPool } from './topology-pool';

/**
 * A password with characters that break naive URL and SQL pasting (@ : / ? # % ' and a space), so
 * every local run exercises encoding and quoting.
 */
export const hostilePassword = (): string => `${randomBytes(9).toString('base64url')}@:/?#% '"&x`;

export interface LocalStackOptions {
  /** Configuration template. @default config/clusters.example.yml */
  configFile?: string;
  /** Use the ports written in the configuration instead of free ones (the drill does). */
  portsFromConfig?: boolean;
  /** Adjusts the template before anything is built (tests shorten waits and thresholds). */
  mutate?: (config: FailoverConfig) => void;
  /** These passwords for the logins of every cluster instead of random hostile ones (the secrets canary). */
  passwords?: Partial<Record<LoginKind, string>>;
  /** Reuse the topologies of an earlier stack of the same shape, reset to how they were built (a suite's tests). */
  pool?: TopologyPool;
}

export type LoginKind = 'monitor' | 'failover' | 'app';

/** Names the functions find through the environment, as serverless.yml sets them when deployed. */
export const LOCAL_DEPLOYMENT = deploymentNames('pgfo', LOCAL_STAGE);

export interface LocalStack {
  /** Configuration with the ports, zone id and instance ids of this stack. */
  config: FailoverConfig;
  /** Where that configuration was written: point PGFO_CONFIG_FILE at it. */
  configFile: string;
  topologies: Record<string, Topology>;
  logins: Record<string, { monitor: Login; failover: Login; app: Login }>;
  cluster(name?: string): ClusterConfig;
  /** Environment the functions read (configuration file, lease table, alarm prefix). */
  env: Record<string, string>;
  teardown(): Promise<void>;
}

const withPorts = (cluster: ClusterConfig, topology: Topology): ClusterConfig => ({
  ...cluster,
  nodes: cluster.nodes.map((node) => {
    const built = topology.nodes[node.name];
    if (!built) throw new Error(`topology of ${cluster.name} has no node ${node.name}`);
    return { ...node, host: built.host, port: built.port, replicationEndpoints: topology.replicationEndpoints(node.name) };
  }),
});

/**
 * What makes two stacks' topologies interchangeable: the nodes, roles, regions, database, logins and
 * fixed ports. Policies, alarms and everything the emulator holds may differ.
 */
const stackShape = (template: FailoverConfig, options: LocalStackOptions): string =>
  JSON.stringify({
    passwords: options.passwords ?? null,
    clusters: template.clusters.map((c) => ({
      name: c.name,
      database: c.database,
      credentials: c.credentials,
      nodes: c.nodes.map((n) => [n.name, n.role, n.region, options.portsFromConfig ? n.port : 0]),
    })),
  });

/** One topology per cluster, with new logins; what was built is torn down when one of them fails. */
const buildTopologies = async (template: FailoverConfig, options: LocalStackOptions): Promise<PooledTopologies> => {
  const built: PooledTopologies = { topologies: {}, logins: {}, parameterPasswords: {} };
  const { parameterPasswords } = built;
  const passwordFor = (parameter: string, kind: LoginKind) => (parameterPasswords[parameter] ??= options.passwords?.[kind] ?? hostilePassword());
  const results = await Promise.allSettled(
    template.clusters.map(async (cluster) => {
      const clusterLogins = {
        monitor: { user: cluster.credentials.monitor.user, password: passwordFor(cluster.credentials.monitor.passwordParameter, 'monitor') },
        failover: { user: cluster.credentials.failover.user, password: passwordFor(cluster.credentials.failover.passwordParameter, 'failover') },
        app: { user: `app_${cluster.name}`.toLowerCase(), password: options.passwords?.app ?? hostilePassword() },
      };
      Object.values(clusterLogins).forEach((login) => registerSecret(login.password));
      built.logins[cluster.name] = clusterLogins;
      built.topologies[cluster.name] = await createTopology({
        database: cluster.database,
        logins: clusterLogins,
        nodes: cluster.nodes.map((node) => ({ name: node.name, role: node.role, region: node.region, port: options.portsFromConfig ? node.port : 0 })),
      });
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(Object.values(built.topologies).map((t) => t.teardown()));
    throw failed.reason;
  }
  return built;
};

/**
 * Brings up one real replication topology per configured cluster and seeds the (already running)
 * AWS emulator with what the configuration refers to. Everything is torn down by `teardown`, and
 * what was built so far is torn down when a step fails.
 */
export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const template = loadConfigFile(options.configFile ?? EXAMPLE_CONFIG_FILE);
  if (options.mutate) {
    options.mutate(template);
    parseConfig(template, 'adjusted template');
  }
  const workDir = mkdtempSync(join(tmpdir(), 'pgfo-stack-'));
  let built: PooledTopologies | undefined;
  const shape = stackShape(template, options);
  const teardown = async () => {
    if (built && options.pool) await options.pool.release(shape, built);
    else if (built) await Promise.all(Object.values(built.topologies).map((t) => t.teardown()));
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const build = () => buildTopologies(template, options);
    built = options.pool ? await options.pool.acquire(shape, build) : await build();
    const { topologies, logins, parameterPasswords } = built;
    // registered on every use: a pooled topology's passwords are masked in each test's logs too
    // again for a pooled topology: masked in this test's logs too (a new stack registered them before building)
    for (const clusterLogins of Object.values(logins)) Object.values(clusterLogins).forEach((login) => registerSecret(login.password));
    const clusters = template.clusters.map((cluster) => withPorts(cluster, topologies[cluster.name]!));
    const withTopology = parseConfig({ ...template, clusters }, 'local stack');
    const app = Object.fromEntries(Object.entries(logins).map(([name, l]) => [name, l.app]));
    const config = parseConfig(await seedEmulator(withTopology, { parameterPasswords, app, stage: LOCAL_STAGE }), 'local stack');
    const configFile = join(workDir, 'clusters.local.json');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const hostsFile = join(workDir, 'hosts.local.json');
    writeFileSync(hostsFile, JSON.stringify(localHosts(config, topologies), null, 2));
    resetClients();
    clearSecretCache();
    return {
      config,
      configFile,
      topologies,
      logins,
      env: {
        PGFO_CONFIG_FILE: configFile,
        PGFO_LEASE_TABLE: LOCAL_DEPLOYMENT.leaseTable,
        PGFO_ALARM_PREFIX: LOCAL_DEPLOYMENT.prefix,
        PGFO_EVENT_BUS: LOCAL_DEPLOYMENT.eventBus,
        PGFO_REJOIN_DOCUMENT: LOCAL_DEPLOYMENT.rejoinDocument,
        PGFO_WITNESS_FUNCTION: LOCAL_DEPLOYMENT.witnessFunction,
        [LOCAL_HOSTS_ENV]: hostsFile,
      },
      cluster: (name) => {
        const found = name ? config.clusters.find((c) => c.name === name) : config.clusters[0];
        if (!found) throw new Error(`no cluster ${name}`);
        return found;
      },
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
};
