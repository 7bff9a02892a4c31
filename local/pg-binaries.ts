/** Locates the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup, postgres). */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let cached: string | undefined;

function hasServerBinaries(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'].every((b) => existsSync(join(dir, b)));
}

/** Directory of the server binaries: $PG_BINDIR, else `pg_config --bindir`, else the newest /usr/lib/postgresql/<v>/bin. */
export function pgBinDir(): string {
  if (cached !== undefined) return cached;
  const candidates: string[] = [];
  const fromEnv = process.env.PG_BINDIR;
  if (fromEnv) {
    if (!hasServerBinaries(fromEnv)) throw new Error(`PG_BINDIR=${fromEnv} does not contain initdb, pg_ctl, pg_basebackup and postgres`);
    cached = fromEnv;
    return cached;
  }
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config not installed or not on PATH: fall back to probing.
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(root, v, 'bin')));
  }
  const found = candidates.find(hasServerBinaries);
  if (!found) throw new Error(`PostgreSQL server binaries not found (tried ${candidates.join(', ') || 'nothing'}); set PG_BINDIR`);
  cached = found;
  return cached;
}

export function pgBin(name: 'initdb' | 'pg_ctl' | 'pg_basebackup' | 'postgres' | 'pg_rewind' | 'pg_controldata'): string {
  return join(pgBinDir(), name);
}
