import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mayTakeWriterLease } from '../shared/decisions/writer-lease';
import { agentClients, agentStore } from '../shared/host/agent-store';
import { WriterAgent, type AgentPostgres } from '../shared/host/writer-agent';

/**
 * pgfo-agent: the writer-lease agent on a database host (host/pgfo-agent.service runs `run`; the
 * boot guard runs `check`). Configured by environment (an EnvironmentFile, docs/deploy.md):
 *   PGFO_CLUSTER, PGFO_NODE          the cluster and this node, as in the configuration
 *   PGFO_LEASE_TABLE                 the lease table (<service>-<stage>-leases)
 *   PGFO_STORE_REGIONS               the table's replica regions, nearest first (comma-separated)
 *   PGFO_WRITER_LEASE_SECONDS        policy.writerLeaseSeconds (default 10)
 *   PGFO_RENEW_SECONDS               policy.writerLeaseRenewSeconds (default 2)
 *   PGFO_PG_SERVICE                  systemd unit of PostgreSQL (stopped/started with systemctl), or
 *   PGFO_PG_CTL + PGDATA             pg_ctl and the data directory, when PostgreSQL is not a unit
 * Exit status of `check`: 0 the record names this node as writer and its lease is not revoked;
 * 1 it does not (start as a standby); 2 the store or the configuration could not be read.
 */
const exec = promisify(execFile);

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const number = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: expected a positive number of seconds, got "${raw}"`);
  return value;
};

const log = (level: 'info' | 'warn', message: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ level, message, ...fields, at: new Date().toISOString() })}\n`);

/** PostgreSQL on this host: its systemd unit, or pg_ctl; every call with a timeout. */
const hostPostgres = (): AgentPostgres => {
  const service = process.env.PGFO_PG_SERVICE;
  if (service) {
    return {
      running: async () => (await exec('systemctl', ['is-active', '--quiet', service], { timeout: 10_000 }).then(() => true, () => false)),
      stop: async () => void (await exec('systemctl', ['stop', service], { timeout: 60_000 })),
      start: async () => void (await exec('systemctl', ['start', service], { timeout: 120_000 })),
    };
  }
  const pgCtl = required('PGFO_PG_CTL');
  const dataDir = required('PGDATA');
  return {
    running: async () => (await exec(pgCtl, ['status', '-D', dataDir], { timeout: 10_000 }).then(() => true, () => false)),
    stop: async () => void (await exec(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-t', '30', '-w'], { timeout: 40_000 })),
    start: async () => void (await exec(pgCtl, ['start', '-D', dataDir, '-t', '60', '-w', '-l', `${dataDir}/pgfo-agent-start.log`], { timeout: 70_000 })),
  };
};

const storeFromEnvironment = () => {
  const regions = required('PGFO_STORE_REGIONS').split(',').map((r) => r.trim()).filter(Boolean);
  return { node: required('PGFO_NODE'), store: agentStore(required('PGFO_CLUSTER'), required('PGFO_NODE'), required('PGFO_LEASE_TABLE'), agentClients(regions)) };
};

const check = async (): Promise<number> => {
  const { node, store } = storeFromEnvironment();
  const { record, lease } = await store.read();
  const verdict = mayTakeWriterLease(node, record, lease);
  process.stdout.write(`${verdict.take ? 'writer' : 'not-writer'}: ${verdict.reason}\n`);
  return verdict.take ? 0 : 1;
};

const run = async (): Promise<number> => {
  const { node, store } = storeFromEnvironment();
  const agent = new WriterAgent(store, hostPostgres(), {
    node,
    leaseSeconds: number('PGFO_WRITER_LEASE_SECONDS', 10),
    renewSeconds: number('PGFO_RENEW_SECONDS', 2),
    log,
  });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  log('info', 'pgfo-agent started', { node });
  await agent.run(stop.signal);
  return 0;
};

const main = async (argv: string[]): Promise<number> => {
  const command = argv[0];
  if (command === 'check') return check();
  if (command === 'run') return run();
  process.stderr.write('usage: pgfo-agent run | check\n');
  return 2;
};

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      log('warn', `pgfo-agent: ${error.message}`);
      process.exit(2);
    },
  );
}
