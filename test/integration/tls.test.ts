import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterConfig, TlsConfig } from '../../shared/config/schema';
import { ClusterSampler } from '../../shared/monitor/sampler';
import { closeQuietly, openConnection } from '../../shared/postgres/connect';
import { sslOptions } from '../../shared/postgres/tls';
import { chownForPg } from '../../local/run-as';
import { createTopology, type Topology } from '../../local/topology';
import { aConfig } from '../fixtures/config';

const SERVER_NAME = 'pg-primary.tls.test';
const secret = () => randomBytes(12).toString('hex');
const monitor = { user: 'pgfo_monitor', password: secret() };

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

describe('TLS to a real PostgreSQL 15 node (sslmode as in libpq)', () => {
  let topo: Topology;
  let certs: string;
  let cluster: ClusterConfig;

  beforeAll(async () => {
    // A CA, a server certificate it signed for SERVER_NAME only (no IP address), and an unrelated CA.
    certs = mkdtempSync(join(tmpdir(), 'pgfo-tls-'));
    openssl(certs, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=pgfo test CA');
    openssl(certs, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=another CA');
    openssl(certs, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${SERVER_NAME}`);
    writeFileSync(join(certs, 'san.ext'), `subjectAltName = DNS:${SERVER_NAME}\n`);
    openssl(certs, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    topo = await createTopology({ nodes: [{ name: 'primary', role: 'primary' }], database: 'orders', logins: { monitor, failover: { user: 'pgfo_failover', password: secret() }, app: { user: 'orders_app', password: secret() } } });
    const dataDir = topo.nodes.primary!.dataDir;
    for (const file of ['server.pem', 'server.key']) {
      copyFileSync(join(certs, file), join(dataDir, file));
      chmodSync(join(dataDir, file), 0o600);
      chownForPg(join(dataDir, file));
    }
    await topo.query('primary', "ALTER SYSTEM SET ssl_cert_file = 'server.pem'");
    await topo.query('primary', "ALTER SYSTEM SET ssl_key_file = 'server.key'");
    await topo.query('primary', 'ALTER SYSTEM SET ssl = on');
    await topo.query('primary', 'SELECT pg_reload_conf()');
    // The CA bundles as a deployment packages them: relative to the service root.
    mkdirSync(join('.build', 'tls'), { recursive: true });
    copyFileSync(join(certs, 'ca.pem'), join('.build', 'tls', 'ca.pem'));
    copyFileSync(join(certs, 'other-ca.pem'), join('.build', 'tls', 'other-ca.pem'));
    const base = aConfig().clusters[0]!;
    const node = topo.nodes.primary!;
    cluster = { ...base, nodes: [{ ...base.nodes[0]!, host: node.host, port: node.port }], subscribers: [] };
  }, 120000);

  afterAll(async () => {
    await topo?.teardown();
    rmSync(certs, { recursive: true, force: true });
  });

  const connect = async (tls: TlsConfig) => {
    const node = topo.nodes.primary!;
    const client = await openConnection({
      host: node.host, port: node.port, database: 'orders', user: monitor.user, password: monitor.password,
      applicationName: 'pgfo-tls-test', connectTimeoutMs: 5000, queryTimeoutMs: 5000, ssl: await sslOptions(tls),
    });
    try {
      const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return rows[0]!.ssl;
    } finally {
      await closeQuietly(client);
    }
  };

  it('opens an encrypted session under verify-full with the packaged CA and the certificate name', async () => {
    expect(await connect({ sslmode: 'verify-full', caFile: '.build/tls/ca.pem', serverName: SERVER_NAME })).toBe(true);
  });

  it('refuses verify-full when the certificate does not carry the address connected to', async () => {
    await expect(connect({ sslmode: 'verify-full', caFile: '.build/tls/ca.pem' })).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+ as pgfo_monitor: .*(altnames|does not match)/i);
  });

  it('refuses verify-ca against a CA that did not sign the certificate', async () => {
    await expect(connect({ sslmode: 'verify-ca', caFile: '.build/tls/other-ca.pem' })).rejects.toThrow(/cannot connect to .*certificate/i);
  });

  it('encrypts under require without checking, and sends plain text only under disable', async () => {
    expect(await connect({ sslmode: 'require' })).toBe(true);
    expect(await connect({ sslmode: 'disable' })).toBe(false);
  });

  it("samples the node through the monitor's sampler with the node's TLS settings, and reports a bad name as unreachable with the reason", async () => {
    const good = new ClusterSampler({ ...cluster, tls: { sslmode: 'verify-full', caFile: '.build/tls/ca.pem', serverName: SERVER_NAME } }, { password: async () => monitor.password });
    const observed = await good.sample().finally(() => good.close());
    expect(observed.nodes[0]).toMatchObject({ reachable: true });
    const bad = new ClusterSampler({ ...cluster, nodes: [{ ...cluster.nodes[0]!, tls: { sslmode: 'verify-full', caFile: '.build/tls/ca.pem', serverName: 'someone-else.test' } }] }, { password: async () => monitor.password });
    const refused = await bad.sample().finally(() => bad.close());
    expect(refused.nodes[0]).toMatchObject({ reachable: false, reason: expect.stringMatching(/someone-else\.test/) });
  });
});
