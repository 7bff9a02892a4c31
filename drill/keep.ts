import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { KeptStack } from './drill-report';
import * as pg from '../local/pg-node';
import { unregister } from '../local/topology-cleanup';
import type { DrillStack } from './stack';
import { emulatorEnv } from '../local/emulator';
import { sleep } from '../shared/time';

const projectRoot = resolve(__dirname, '..');
/** Where a kept stack is described (`.drill/` is ignored by git). */
export const STATE_FILE = join(projectRoot, '.drill', 'state.json');
/** The functions' environment for a kept stack: `pgfo --local .drill/env.json status`. */
export const ENV_FILE = join(projectRoot, '.drill', 'env.json');

interface KeptProcess {
  pid: number;
  /** A word of its command line: a recycled pid running something else is never signalled. */
  marker: string;
}

interface KeptState {
  createdAt: string;
  processes: KeptProcess[];
  /** PostgreSQL data directories (stopped with pg_ctl) and directories to remove. */
  nodes: Array<{ cwd: string; dataDir: string; logFile: string }>;
  directories: string[];
  report: KeptStack;
}

const listening = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

/** Replaces an in-process DR link by a detached process listening on the same port. */
const detachLink = async (port: number, target: { host: string; port: number }): Promise<KeptProcess> => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'link-keeper.ts'), String(port), target.host, String(target.port)], {
    cwd: projectRoot,
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  for (let i = 0; i < 100 && !(await listening(port)); i += 1) await sleep(100);
  if (!(await listening(port))) throw new Error(`the kept link on port ${port} did not start`);
  return { pid: child.pid!, marker: 'link-keeper' };
};

/**
 * Leaves the stack running after the drill exits: the topologies are no longer torn down on exit,
 * each replication link moves to a detached process, and the state file says how to reach (and
 * remove) everything. Never writes a password: it names where each one is kept.
 */
export const keepStack = async (drill: DrillStack): Promise<KeptStack> => {
  const processes: KeptProcess[] = [];
  const nodes: KeptState['nodes'] = [];
  for (const topology of Object.values(drill.stack.topologies)) {
    unregister(topology as never);
    for (const node of Object.values(topology.nodes)) {
      nodes.push({ cwd: topology.dir, dataDir: node.dataDir, logFile: join(dirname(node.dataDir), 'postgres.log') });
    }
    for (const link of new Set([...Object.values(topology.links), ...Object.values(topology.routes)])) {
      await link.close();
      processes.push(await detachLink(link.port, link.target));
    }
  }
  if (drill.emulator) processes.push({ pid: drill.emulator.pid, marker: 'emulator-server' });
  const report: KeptStack = {
    stateFile: STATE_FILE,
    emulatorEndpoint: drill.emulatorEndpoint,
    configFile: drill.stack.configFile,
    nodes: drill.stack.config.clusters.flatMap((cluster) =>
      cluster.nodes.map((node) => ({
        cluster: cluster.name,
        node: node.name,
        host: node.host,
        port: node.port,
        user: cluster.credentials.failover.user,
        passwordSource: `SSM SecureString ${cluster.credentials.failover.passwordParameter} in ${drill.stack.config.controlRegion} (emulator); the application's login is in the DATABASE_URL parameters`,
      })),
    ),
    superuser: Object.entries(drill.stack.topologies).flatMap(([cluster, topology]) =>
      Object.values(topology.nodes).map((n) => `${cluster}/${n.name}: psql -h ${topology.socketDir} -p ${n.port} -U postgres (trust over the unix socket; as root: runuser -u postgres -- psql ...)`),
    ),
  };
  const state: KeptState = {
    createdAt: new Date().toISOString(),
    processes,
    nodes,
    directories: [...Object.values(drill.stack.topologies).map((t) => t.dir), dirname(drill.stack.configFile)],
    report,
  };
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  // No secret in it: the endpoint, the emulator's dummy credentials and names of files and tables.
  writeFileSync(ENV_FILE, JSON.stringify({ ...drill.stack.env, ...emulatorEnv(drill.emulatorEndpoint) }, null, 2));
  return report;
};

const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

const terminate = async (processes: KeptProcess[]): Promise<void> => {
  const ours = processes.filter((p) => commandLine(p.pid).includes(p.marker));
  for (const p of ours) pg.killQuietly(p.pid, 'SIGTERM');
  for (let i = 0; i < 30 && ours.some((p) => pg.isAlive(p.pid)); i += 1) await sleep(100);
  for (const p of ours) if (pg.isAlive(p.pid)) pg.killQuietly(p.pid, 'SIGKILL');
};

/** `--down`: stops and removes a kept stack. Returns what it did, for the command's output. */
export const tearDownKept = async (): Promise<string> => {
  if (!existsSync(STATE_FILE)) return `no kept drill stack (${STATE_FILE} does not exist): nothing to tear down`;
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as KeptState;
  await Promise.all(
    state.nodes.map(async (dirs) => {
      const pid = pg.postmasterPid(dirs.dataDir);
      if (pid === undefined) return;
      await pg.pgCtlStop(dirs, 'immediate', 20).catch(() => undefined);
      if (pg.isAlive(pid)) pg.killQuietly(pid, 'SIGKILL');
    }),
  );
  await terminate(state.processes);
  for (const dir of state.directories) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  rmSync(STATE_FILE, { force: true });
  rmSync(ENV_FILE, { force: true });
  return `kept stack of ${state.createdAt} torn down: ${state.nodes.length} PostgreSQL node(s) stopped, ${state.processes.length} process(es) ended, ${state.directories.length} directories removed`;
};
