/**
 * A topology taken back to how it was built, for suites that reuse one topology across tests: the
 * data directories are copied once the topology is built and copied back between tests, which costs
 * a fraction of a new `initdb` and base backups. What a node looks like (role, timeline, relations,
 * roles, settings, client authentication, replication) is recorded with the copy and compared after
 * every restore: a reset that left anything behind is refused, naming what.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runPg } from './run-as';

/** What a reset must give back, per node. Setting values are compared, never reported (conninfo holds a password). */
export interface NodePrint {
  running: boolean;
  inRecovery: boolean | null;
  timeline: number | null;
  relations: string[];
  roles: string[];
  settings: Record<string, string>;
  hba: string[];
  /** On a writer: `name:state:sync_state` of each WAL sender. */
  senders: string[];
}

export interface SnapshotTarget {
  nodeNames: string[];
  primaryName: string;
  dataDir(node: string): string;
  cwd: string;
  isRunning(node: string): boolean;
  query<T>(node: string, sql: string): Promise<T[]>;
}

const RELATIONS = `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  ORDER BY 1`;
// Settings a test may change on purpose (ALTER SYSTEM, configuration files); the session's own are not the node's.
const SETTINGS = `SELECT name, setting FROM pg_settings WHERE source NOT IN ('default', 'client', 'session', 'override', 'environment variable') ORDER BY name`;
const HBA = `SELECT concat_ws(' ', type, array_to_string(database, ','), array_to_string(user_name, ','), address, netmask, auth_method) AS rule FROM pg_hba_file_rules ORDER BY line_number`;
const SENDERS = `SELECT application_name || ':' || state || ':' || sync_state AS s FROM pg_stat_replication ORDER BY 1`;

/** What `node` looks like now. */
export const printNode = async (target: SnapshotTarget, node: string): Promise<NodePrint> => {
  if (!target.isRunning(node)) return { running: false, inRecovery: null, timeline: null, relations: [], roles: [], settings: {}, hba: [], senders: [] };
  const col = async <T>(sql: string, key: string) => (await target.query<Record<string, T>>(node, sql)).map((r) => r[key]!);
  const [inRecovery] = await col<boolean>('SELECT pg_is_in_recovery() AS r', 'r');
  const [timeline] = await col<number>('SELECT timeline_id AS t FROM pg_control_checkpoint()', 't');
  const settings = Object.fromEntries((await target.query<{ name: string; setting: string }>(node, SETTINGS)).map((r) => [r.name, r.setting]));
  return {
    running: true,
    inRecovery: inRecovery ?? null,
    timeline: timeline ?? null,
    relations: await col<string>(RELATIONS, 'name'),
    roles: await col<string>('SELECT rolname AS r FROM pg_roles ORDER BY 1', 'r'),
    settings,
    hba: await col<string>(HBA, 'rule'),
    senders: inRecovery ? [] : await col<string>(SENDERS, 's'),
  };
};

const listDiff = (what: string, was: string[], now: string[]): string[] => [
  ...now.filter((x) => !was.includes(x)).map((x) => `${what} ${x} was not there`),
  ...was.filter((x) => !now.includes(x)).map((x) => `${what} ${x} is gone`),
];

/** Every way `now` differs from `was`, one line each (setting names only, never values). */
export const printDiff = (node: string, was: NodePrint, now: NodePrint): string[] => {
  const lines: string[] = [];
  if (was.running !== now.running) lines.push(now.running ? 'running, was stopped' : 'stopped, was running');
  if (was.inRecovery !== now.inRecovery) lines.push(`pg_is_in_recovery() ${String(now.inRecovery)}, was ${String(was.inRecovery)}`);
  if (was.timeline !== now.timeline) lines.push(`timeline ${String(now.timeline)}, was ${String(was.timeline)}`);
  lines.push(...listDiff('relation', was.relations, now.relations), ...listDiff('role', was.roles, now.roles));
  const names = [...new Set([...Object.keys(was.settings), ...Object.keys(now.settings)])].sort();
  lines.push(...names.filter((n) => was.settings[n] !== now.settings[n]).map((n) => `setting ${n} differs`));
  lines.push(...listDiff('pg_hba rule', was.hba, now.hba), ...listDiff('WAL sender', was.senders, now.senders));
  return lines.map((l) => `${node}: ${l}`);
};

const snapshotDir = (target: SnapshotTarget, node: string) => `${target.dataDir(node)}.snapshot`;

/** Copies every node's (stopped) data directory beside it. */
export const copyToSnapshot = async (target: SnapshotTarget): Promise<void> => {
  await Promise.all(
    target.nodeNames.map(async (node) => {
      rmSync(snapshotDir(target, node), { recursive: true, force: true });
      await runPg('cp', ['-a', target.dataDir(node), snapshotDir(target, node)], { cwd: target.cwd, timeoutMs: 60_000 });
    }),
  );
};

/** Replaces every node's (stopped) data directory with its snapshot. */
export const copyFromSnapshot = async (target: SnapshotTarget): Promise<void> => {
  await Promise.all(
    target.nodeNames.map(async (node) => {
      if (!existsSync(snapshotDir(target, node))) throw new Error(`no snapshot of ${node}: snapshot() the topology first`);
      rmSync(target.dataDir(node), { recursive: true, force: true, maxRetries: 3 });
      await runPg('cp', ['-a', snapshotDir(target, node), target.dataDir(node)], { cwd: target.cwd, timeoutMs: 60_000 });
    }),
  );
};

/** The other files a test may leave in a node's folder (a rejoin's working copies), which a reset removes. */
export const strayFiles = (nodeDir: string, entries: string[]): string[] =>
  entries.filter((e) => !['data', 'data.snapshot', 'postgres.log'].includes(e)).map((e) => join(nodeDir, e));
