/** Operations on one PostgreSQL data directory: initdb, configuration, pg_ctl, pg_basebackup. */
import { randomInt } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { pgBin } from './pg-binaries';
import { runPg, runPgSync } from './run-as';

export interface NodeDirs {
  /** directory PostgreSQL commands run in (readable by the postgres OS user) */
  cwd: string;
  dataDir: string;
  logFile: string;
}

/** A GUC value as written in postgresql.conf: numbers and booleans bare, everything else single-quoted. */
function confValue(v: string | number | boolean): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function appendConf(dataDir: string, settings: Record<string, string | number | boolean>, comment: string): void {
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${confValue(v)}`);
  appendFileSync(join(dataDir, 'postgresql.conf'), `\n# ${comment}\n${lines.join('\n')}\n`);
}

/** A libpq keyword/value connection string with every value quoted. */
export function conninfo(params: Record<string, string | number>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}='${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
    .join(' ');
}

/** Replaces primary_conninfo in postgresql.auto.conf (written by pg_basebackup -R), keeping the other lines. */
export function setPrimaryConninfo(dataDir: string, info: string): void {
  const file = join(dataDir, 'postgresql.auto.conf');
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !/^\s*primary_conninfo\s*=/.test(l));
  writeFileSync(file, `${[...kept, `primary_conninfo = ${confValue(info)}`].join('\n')}\n`);
}

export function writeHba(dataDir: string, replicationRole: string): void {
  const role = /^[a-z_][a-z0-9_]*$/.test(replicationRole) ? replicationRole : `"${replicationRole.replace(/"/g, '""')}"`;
  const hba = [
    '# TYPE  DATABASE     USER   ADDRESS        METHOD',
    'local   all          all                   trust',
    `host    replication  ${role}  127.0.0.1/32   scram-sha-256`,
    'host    all          all    127.0.0.1/32   scram-sha-256',
  ];
  writeFileSync(join(dataDir, 'pg_hba.conf'), `${hba.join('\n')}\n`);
}

export async function initdb(dirs: NodeDirs): Promise<void> {
  await runPg(
    pgBin('initdb'),
    ['-D', dirs.dataDir, '--no-sync', '-A', 'scram-sha-256', '--auth-local=trust', '-U', 'postgres', '--wal-segsize=1', '-E', 'UTF8', '--locale=C'],
    { cwd: dirs.cwd, timeoutMs: 60_000 },
  );
}

export async function baseBackup(
  dirs: NodeDirs,
  source: { port: number; user: string; password: string },
  slot: string,
  applicationName: string,
): Promise<void> {
  await runPg(
    pgBin('pg_basebackup'),
    ['-h', '127.0.0.1', '-p', String(source.port), '-U', source.user, '-w', '-D', dirs.dataDir,
      '-R', '-X', 'stream', '-C', '-S', slot, '-c', 'fast', '--no-sync'],
    // the password travels in the environment, never on a command line (visible in ps)
    { cwd: dirs.cwd, env: { PGPASSWORD: source.password, PGAPPNAME: applicationName }, timeoutMs: 120_000 },
  );
}

/** Starts the server and waits until it accepts connections. */
export async function pgCtlStart(dirs: NodeDirs, timeoutSeconds = 60): Promise<void> {
  await runPg(pgBin('pg_ctl'), ['-D', dirs.dataDir, '-l', dirs.logFile, '-w', '-t', String(timeoutSeconds), 'start'], {
    cwd: dirs.cwd,
    timeoutMs: (timeoutSeconds + 10) * 1000,
  }).catch((err: Error) => {
    throw new Error(`starting PostgreSQL in ${dirs.dataDir}: ${err.message}\n${tail(dirs.logFile)}`);
  });
}

export async function pgCtlStop(dirs: NodeDirs, mode: 'immediate' | 'fast', timeoutSeconds = 60): Promise<void> {
  await runPg(pgBin('pg_ctl'), ['-D', dirs.dataDir, '-m', mode, '-w', '-t', String(timeoutSeconds), 'stop'], {
    cwd: dirs.cwd,
    timeoutMs: (timeoutSeconds + 10) * 1000,
  });
}

/** Synchronous immediate stop for process-exit cleanup; kills the postmaster if pg_ctl fails. */
export function stopSync(dirs: NodeDirs): void {
  const pid = postmasterPid(dirs.dataDir);
  if (pid === undefined) return;
  runPgSync(pgBin('pg_ctl'), ['-D', dirs.dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], { cwd: dirs.cwd, timeoutMs: 15_000 });
  if (isAlive(pid)) killQuietly(pid, 'SIGKILL');
}

/** PID of the live postmaster of this data directory, if any. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process exists and is not a zombie (an exited child nobody reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !existsSync('/proc/self'); // no procfs: trust kill(0)
  }
}

export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function canBind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A loopback TCP port that was free a moment ago, preferably below the ephemeral range: there no
 * outgoing connection (and no other listen(0)) can take it before the server binds it.
 */
export async function freeLoopbackPort(): Promise<number> {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // not Linux: keep the IANA-ish default
  }
  const low = 10_000;
  for (let i = 0; ephemeralLow - low > 1000 && i < 20; i++) {
    const port = await canBind(low + randomInt(ephemeralLow - low));
    if (port) return port;
  }
  const port = await canBind(0);
  if (!port) throw new Error('no free loopback port');
  return port;
}

/** Last lines of a server log, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}
