/**
 * Runs PostgreSQL binaries as the `postgres` OS user when we are root (PostgreSQL refuses root),
 * and directly otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';

const POSTGRES_USER = 'postgres';

export function runsAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let pgIds: { uid: number; gid: number } | undefined;
function postgresIds(): { uid: number; gid: number } {
  if (pgIds) return pgIds;
  const uid = spawnSync('id', ['-u', POSTGRES_USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', POSTGRES_USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`running as root but OS user "${POSTGRES_USER}" does not exist`);
  pgIds = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  return pgIds;
}

/** Creates a directory (and parents) with mode 0700, owned by the user that runs PostgreSQL. */
export function makePgDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chownForPg(path);
}

/** Gives a file or directory to the user that runs PostgreSQL (no-op when not root). */
export function chownForPg(path: string): void {
  if (!runsAsRoot()) return;
  const { uid, gid } = postgresIds();
  chownSync(path, uid, gid);
}

function command(cmd: string, args: string[]): [string, string[]] {
  return runsAsRoot() ? ['runuser', ['-u', POSTGRES_USER, '--', cmd, ...args]] : [cmd, args];
}

export interface RunOptions {
  cwd: string;
  /** Extra environment (e.g. PGPASSWORD); never echoed in errors. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command as the PostgreSQL user; rejects with its exit status and stderr (arguments are not echoed). */
export function runPg(cmd: string, args: string[], options: RunOptions): Promise<RunResult> {
  const [file, argv] = command(cmd, args);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const what = cmd.split('/').pop() ?? cmd;
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${what} could not be started: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${what} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || stdout.trim()}`));
    });
  });
}

/** Synchronous variant for process-exit cleanup; never throws, returns whether it exited 0. */
export function runPgSync(cmd: string, args: string[], options: RunOptions): boolean {
  const [file, argv] = command(cmd, args);
  try {
    const r = spawnSync(file, argv, { cwd: options.cwd, stdio: 'ignore', timeout: options.timeoutMs ?? 10_000 });
    return r.status === 0;
  } catch {
    return false;
  }
}
