/**
 * A real PostgreSQL streaming-replication topology for integration tests: one primary, standbys
 * built with pg_basebackup, async standbys optionally routed through a LinkProxy (the DR link).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, escapeIdentifier as ident, escapeLiteral as lit } from 'pg';
import { LinkProxy } from './link-proxy';
import * as pg from './pg-node';
import { chownForPg, makePgDir } from './run-as';
import { copyFromSnapshot, copyToSnapshot, printDiff, printNode, strayFiles, type NodePrint, type SnapshotTarget } from './topology-snapshot';
import { register, unregister } from './topology-cleanup';
import { waitFor } from './wait';

export type TopologyRole = 'primary' | 'sync-standby' | 'async-standby';
export interface TopologyNodeSpec {
  name: string;
  role: TopologyRole;
  port?: number;
  /** With regions, every cross-region replication connection runs through a LinkProxy (see `routes`). */
  region?: string;
}
export interface Login { user: string; password: string }
export interface TopologyOptions {
  nodes: TopologyNodeSpec[];
  database: string;
  logins: { monitor: Login; failover: Login; app: Login };
  /**
   * default true: cross-region replication runs through LinkProxies (with regions: one per node and
   * other region; without: one per async standby).
   */
  linkAsyncStandbys?: boolean;
}
export interface TopologyNode { name: string; role: TopologyRole; host: '127.0.0.1'; port: number; dataDir: string }
export interface Topology {
  dir: string;
  socketDir: string;
  nodes: Record<string, TopologyNode>;
  /** The link each standby was built to replicate through (its first upstream), by standby name. */
  links: Record<string, LinkProxy>;
  /**
   * With regions: the way into each node from each other region, keyed "node@region" — the model of
   * the inter-region network. A standby re-pointed to another node across regions goes through that
   * node's route (its configured replication endpoint), so region faults still cut it.
   */
  routes: Record<string, LinkProxy>;
  /** The routes into `node`, as the configuration's replicationEndpoints. */
  replicationEndpoints(node: string): Array<{ region: string; host: string; port: number }>;
  /** Every route into or out of `region` (its network gone): replication across regions stops. */
  cutRegion(region: string, mode?: 'reset' | 'blackhole'): string[];
  replicationPassword: string;
  /**
   * A libpq password file with the replication login's password, readable only by the user that
   * runs PostgreSQL: what a host's ~postgres/.pgpass holds (host/pgfo-rejoin.sh reads it).
   */
  passFile: string;
  /** superuser query over the node's unix socket (user postgres, trust, database `options.database`) */
  query<T = Record<string, unknown>>(node: string, sql: string, params?: unknown[]): Promise<T[]>;
  stop(node: string, mode?: 'immediate' | 'fast'): Promise<void>;
  start(node: string): Promise<void>;
  isRunning(node: string): boolean;
  pauseReplay(node: string): Promise<void>;
  resumeReplay(node: string): Promise<void>;
  waitForStreaming(standby: string, timeoutMs?: number): Promise<void>;
  /**
   * Copies the topology as it is now (every node stopped cleanly for the copy, then started again)
   * and records what each node looks like, for {@link Topology.restore}.
   */
  snapshot(): Promise<void>;
  /**
   * Back to the snapshot: every node stopped, its data directory copied back, every link and route
   * restored, the nodes started and streaming again. Throws, naming each difference, when the
   * result does not look like the snapshot did.
   */
  restore(): Promise<void>;
  /** How the topology differs from its snapshot now (empty: nothing left behind). */
  leftovers(): Promise<string[]>;
  teardown(): Promise<void>;
}

export const REPLICATION_ROLE = 'replicator';
/** What a non-superuser needs to run pg_rewind against a server, and to CHECKPOINT it (README). */
export const REWIND_GRANTS = [
  'GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean)',
  'GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean)',
  'GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text)',
  'GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)',
  'GRANT pg_checkpoint',
];
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

function validate(options: TopologyOptions): TopologyNodeSpec {
  const primaries = options.nodes.filter((n) => n.role === 'primary');
  if (primaries.length !== 1) throw new Error(`a topology needs exactly one primary, got ${primaries.length}`);
  if (options.nodes.filter((n) => n.role === 'sync-standby').length > 1) throw new Error('at most one sync-standby is supported');
  const seen = new Set<string>();
  for (const n of options.nodes) {
    if (!NAME.test(n.name)) throw new Error(`node name ${JSON.stringify(n.name)} must match ${NAME} (it names a slot and a directory)`);
    if (seen.has(n.name.toLowerCase())) throw new Error(`duplicate node name ${n.name} (names are compared case-insensitively)`);
    seen.add(n.name.toLowerCase());
  }
  const users = Object.values(options.logins).map((l) => l.user);
  if (new Set(users).size !== users.length || users.some((u) => u === 'postgres' || u === REPLICATION_ROLE)) {
    throw new Error(`logins must be distinct and not "postgres" or "${REPLICATION_ROLE}"`);
  }
  return primaries[0]!;
}

export async function createTopology(options: TopologyOptions): Promise<Topology> {
  const primarySpec = validate(options);
  const longestSocket = join(tmpdir(), 'pgfo-topo-XXXXXX', 'sock', '.s.PGSQL.65535');
  if (Buffer.byteLength(longestSocket) > 107) throw new Error(`temp dir too long for unix sockets (${longestSocket}); set TMPDIR`);
  const dir = mkdtempSync(join(tmpdir(), 'pgfo-topo-'));
  const socketDir = join(dir, 'sock');
  const replicationPassword = randomBytes(24).toString('base64url');
  const nodes: Record<string, TopologyNode> = {};
  const dirs: Record<string, pg.NodeDirs> = {};
  const links: Record<string, LinkProxy> = {};
  const routes: Record<string, LinkProxy> = {};
  const regionOf = new Map(options.nodes.filter((n) => n.region).map((n) => [n.name, n.region!]));
  const regions = [...new Set(regionOf.values())];
  const routed = regionOf.size === options.nodes.length && options.linkAsyncStandbys !== false;
  const topo = new TopologyImpl(dir, socketDir, nodes, dirs, links, routes, regionOf, replicationPassword, options.database, primarySpec.name);
  register(topo);
  try {
    chmodSync(dir, 0o700);
    chownForPg(dir);
    makePgDir(socketDir);
    for (const spec of options.nodes) {
      const nodeDir = join(dir, spec.name);
      makePgDir(nodeDir);
      const port = spec.port ? spec.port : await pg.freeLoopbackPort();
      nodes[spec.name] = { name: spec.name, role: spec.role, host: '127.0.0.1', port, dataDir: join(nodeDir, 'data') };
      dirs[spec.name] = { cwd: dir, dataDir: join(nodeDir, 'data'), logFile: join(nodeDir, 'postgres.log') };
    }
    const primary = nodes[primarySpec.name]!;
    const primaryDirs = dirs[primarySpec.name]!;
    const standbys = options.nodes.filter((n) => n.role !== 'primary');
    const linked = routed ? [] : standbys.filter((n) => n.role === 'async-standby' && options.linkAsyncStandbys !== false);
    /** Routes from every other region into `name` (one LinkProxy each). */
    const routeInto = async (name: string) => {
      for (const region of regions.filter((r) => r !== regionOf.get(name))) {
        routes[`${name}@${region}`] = await LinkProxy.start({ host: '127.0.0.1', port: nodes[name]!.port });
      }
    };
    /** Starts a node; a picked port that got taken in the meantime is replaced (up to 3 tries). */
    const startNode = async (name: string): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await pg.pgCtlStart(dirs[name]!);
        } catch (err) {
          const picked = !options.nodes.find((n) => n.name === name)?.port;
          if (!picked || attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
          nodes[name]!.port = await pg.freeLoopbackPort();
          pg.appendConf(dirs[name]!.dataDir, { port: nodes[name]!.port }, 'port was taken: retry');
        }
      }
    };
    await pg.initdb(primaryDirs);
    pg.appendConf(primaryDirs.dataDir, baseSettings(primary.port, socketDir), 'pgfo test topology');
    pg.writeHba(primaryDirs.dataDir, REPLICATION_ROLE);
    await startNode(primary.name);
    await Promise.all(linked.map(async (s) => (links[s.name] = await LinkProxy.start({ host: '127.0.0.1', port: primary.port }))));
    if (routed) {
      await routeInto(primary.name);
      for (const s of standbys) {
        const route = routes[`${primary.name}@${regionOf.get(s.name)}`];
        if (route) links[s.name] = route;
      }
    }
    await createRolesAndDatabase(topo, options, replicationPassword);
    writeFileSync(topo.passFile, `*:*:*:${REPLICATION_ROLE}:${replicationPassword}\n`, { mode: 0o600 });
    chownForPg(topo.passFile);

    await Promise.all(
      standbys.map(async (s) => {
        const d = dirs[s.name]!;
        makePgDir(d.dataDir);
        const source = { port: primary.port, user: REPLICATION_ROLE, password: replicationPassword };
        await pg.baseBackup(d, source, s.name.toLowerCase(), s.name);
        pg.appendConf(d.dataDir, { port: nodes[s.name]!.port }, `pgfo test topology: standby ${s.name}`);
        const via = links[s.name] ?? { host: '127.0.0.1', port: primary.port };
        const info = { host: via.host, port: via.port, user: REPLICATION_ROLE, password: replicationPassword };
        pg.setPrimaryConninfo(d.dataDir, pg.conninfo({ ...info, application_name: s.name, sslmode: 'disable', connect_timeout: 5 }));
      }),
    );
    const sync = standbys.find((s) => s.role === 'sync-standby');
    if (sync) {
      // only now: a standby that inherited this setting would block every commit once promoted
      const names = `FIRST 1 ("${sync.name.replace(/"/g, '""')}")`;
      await topo.query(primarySpec.name, `ALTER SYSTEM SET synchronous_standby_names = ${lit(names)}`);
      await topo.query(primarySpec.name, 'SELECT pg_reload_conf()');
    }
    await Promise.all(standbys.map((s) => startNode(s.name)));
    await Promise.all(standbys.map((s) => topo.waitForStreaming(s.name)));
    // Routes into the standbys, for when one of them becomes the writer (their ports are final now).
    if (routed) for (const s of standbys) await routeInto(s.name);
    return topo;
  } catch (err) {
    await topo.teardown();
    throw err;
  }
}

function baseSettings(port: number, socketDir: string): Record<string, string | number | boolean> {
  return {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: socketDir,
    wal_level: 'replica',
    max_wal_senders: 10,
    max_replication_slots: 10,
    hot_standby: true,
    wal_receiver_status_interval: '1s',
    wal_retrieve_retry_interval: '1s',
    wal_log_hints: true,
    // defaults are 60 s: a partitioned (black-holed) link would go unnoticed for a minute, and a fast
    // shutdown of the primary would wait that long for the unreachable standby
    wal_sender_timeout: '5s',
    wal_receiver_timeout: '5s',
    fsync: false,
    // pg_basebackup -C creates its slot only after the backup started: concurrent backups' checkpoints
    // could otherwise recycle the 1 MB segments the other backup still needs (CREATE DATABASE writes ≈7 MB)
    wal_keep_size: '32MB',
    max_connections: 50,
    shared_buffers: '16MB',
    logging_collector: false, // pg_ctl -l writes the log file in the node directory
    log_line_prefix: '%m [%p] %q%u@%d ',
  };
}

async function createRolesAndDatabase(topo: TopologyImpl, options: TopologyOptions, replicationPassword: string): Promise<void> {
  const { monitor, failover, app } = options.logins;
  const db = options.database;
  const primary = topo.primaryName;
  // function privileges live in each database's catalog: granted in `postgres` and in the target database
  // pg_promote for failovers; for planned switchovers: making the primary read-only (ALTER SYSTEM on
  // that one parameter, PG15+), reloading, and ending the sessions of other non-superusers.
  const grants = [
    `GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO ${ident(failover.user)}`,
    `GRANT EXECUTE ON FUNCTION pg_reload_conf() TO ${ident(failover.user)}`,
  ];
  // Re-pointing the surviving standbys to a new writer and setting its synchronous standbys (PG15+).
  const parameters = ['default_transaction_read_only', 'primary_conninfo', 'primary_slot_name', 'synchronous_standby_names'];
  // the statements carry passwords: keep them out of the server log even if one fails
  await topo.withClient(primary, 'postgres', async (c) => {
    await c.query("SET log_statement = 'none'");
    await c.query("SET log_min_error_statement = 'panic'");
    await c.query(`CREATE ROLE ${ident(REPLICATION_ROLE)} WITH REPLICATION LOGIN PASSWORD ${lit(replicationPassword)}`);
    await c.query(`CREATE ROLE ${ident(monitor.user)} WITH LOGIN PASSWORD ${lit(monitor.password)} IN ROLE pg_monitor`);
    await c.query(`CREATE ROLE ${ident(failover.user)} WITH LOGIN NOSUPERUSER PASSWORD ${lit(failover.password)} IN ROLE pg_monitor`);
    for (const grant of grants) await c.query(grant);
    await c.query(`GRANT ALTER SYSTEM ON PARAMETER ${parameters.join(', ')} TO ${ident(failover.user)}`);
    await c.query(`GRANT pg_signal_backend TO ${ident(failover.user)}`);
    // rejoin (host/pgfo-rejoin.sh): pg_rewind as the replication login reads the writer's files
    // through these functions, and CHECKPOINTs the writer first (PG15's pg_checkpoint role)
    for (const grant of REWIND_GRANTS) await c.query(`${grant} TO ${ident(REPLICATION_ROLE)}`);
    await c.query(`CREATE ROLE ${ident(app.user)} WITH LOGIN PASSWORD ${lit(app.password)}`);
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    if (exists.rowCount) await c.query(`ALTER DATABASE ${ident(db)} OWNER TO ${ident(app.user)}`);
    else await c.query(`CREATE DATABASE ${ident(db)} OWNER ${ident(app.user)}`);
  });
  await topo.withClient(primary, db, async (c) => {
    for (const grant of grants) await c.query(grant);
    await c.query(`GRANT CREATE ON SCHEMA public TO ${ident(failover.user)}`);
    for (const grant of REWIND_GRANTS.filter((g) => g.includes('FUNCTION'))) await c.query(`${grant} TO ${ident(REPLICATION_ROLE)}`);
    await c.query('CREATE TABLE public.pgfo_heartbeat (id int PRIMARY KEY, at timestamptz)');
    await c.query(`ALTER TABLE public.pgfo_heartbeat OWNER TO ${ident(failover.user)}`);
  });
}

class TopologyImpl implements Topology {
  private tornDown = false;
  /** `pg_ctl start` under way, per node (see start). */
  private readonly starting = new Map<string, Promise<void>>();
  readonly passFile: string;

  constructor(
    readonly dir: string,
    readonly socketDir: string,
    readonly nodes: Record<string, TopologyNode>,
    private readonly dirs: Record<string, pg.NodeDirs>,
    readonly links: Record<string, LinkProxy>,
    readonly routes: Record<string, LinkProxy>,
    private readonly regionOf: Map<string, string>,
    readonly replicationPassword: string,
    private readonly database: string,
    readonly primaryName: string,
  ) {
    this.passFile = join(dir, 'pgpass');
  }

  private node(name: string): { node: TopologyNode; dirs: pg.NodeDirs } {
    const node = this.nodes[name];
    const dirs = this.dirs[name];
    if (!node || !dirs) throw new Error(`unknown topology node ${JSON.stringify(name)} (have ${Object.keys(this.nodes).join(', ')})`);
    return { node, dirs };
  }

  replicationEndpoints(node: string): Array<{ region: string; host: string; port: number }> {
    return Object.entries(this.routes)
      .filter(([key]) => key.startsWith(`${node}@`))
      .map(([key, link]) => ({ region: key.slice(node.length + 1), host: link.host, port: link.port }));
  }

  cutRegion(region: string, mode: 'reset' | 'blackhole' = 'reset'): string[] {
    const cut = Object.entries(this.routes).filter(([key]) => {
      const [target, from] = key.split('@') as [string, string];
      return from === region || this.regionOf.get(target) === region;
    });
    for (const [, link] of cut) link.cut(mode);
    return cut.map(([key]) => key);
  }

  async withClient<T>(name: string, database: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const { node } = this.node(name);
    const client = new Client({ host: this.socketDir, port: node.port, user: 'postgres', database, connectionTimeoutMillis: 10_000, query_timeout: 60_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async query<T = Record<string, unknown>>(name: string, sql: string, params?: unknown[]): Promise<T[]> {
    return this.withClient(name, this.database, async (c) => (await c.query(sql, params)).rows as T[]);
  }

  async stop(name: string, mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    const { dirs } = this.node(name);
    if (!this.isRunning(name)) return;
    await pg.pgCtlStop(dirs, mode);
  }

  /**
   * Starts the node's PostgreSQL unless it runs. Starts that overlap (a test, the modelled instance
   * boot and the node's writer-lease agent may all start it) share one `pg_ctl start`: two would race
   * for postmaster.pid and the loser would fail although the server came up.
   */
  async start(name: string): Promise<void> {
    const inflight = this.starting.get(name);
    if (inflight) return inflight;
    const { dirs } = this.node(name);
    if (this.isRunning(name)) return;
    const started = pg.pgCtlStart(dirs).finally(() => this.starting.delete(name));
    this.starting.set(name, started);
    return started;
  }

  isRunning(name: string): boolean {
    return pg.postmasterPid(this.node(name).dirs.dataDir) !== undefined;
  }

  async pauseReplay(name: string): Promise<void> {
    await this.query(name, 'SELECT pg_wal_replay_pause()');
  }

  async resumeReplay(name: string): Promise<void> {
    await this.query(name, 'SELECT pg_wal_replay_resume()');
  }

  async waitForStreaming(standby: string, timeoutMs = 30_000): Promise<void> {
    const { node } = this.node(standby);
    const wantSync = node.role === 'sync-standby';
    await waitFor(
      `${standby} to be streaming${wantSync ? ' as sync standby' : ''} in pg_stat_replication of ${this.primaryName}`,
      async () => {
        const rows = await this.query<{ state: string | null; sync_state: string | null }>(
          this.primaryName,
          'SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1',
          [standby],
        );
        return rows.some((r) => r.state === 'streaming' && (!wantSync || r.sync_state === 'sync'));
      },
      { timeoutMs },
    );
  }

  private snapshotPrints: Record<string, NodePrint> | undefined;

  private get snapshotTarget(): SnapshotTarget {
    return {
      nodeNames: Object.keys(this.nodes),
      primaryName: this.primaryName,
      dataDir: (node) => this.node(node).dirs.dataDir,
      cwd: this.dir,
      isRunning: (node) => this.isRunning(node),
      query: (node, sql) => this.query(node, sql),
    };
  }

  private get standbyNames(): string[] {
    return Object.keys(this.nodes).filter((n) => n !== this.primaryName);
  }

  /** The primary first, then the standbys, waiting until each streams again. */
  private async startAll(): Promise<void> {
    await this.start(this.primaryName);
    await Promise.all(this.standbyNames.map((n) => this.start(n)));
    await Promise.all(this.standbyNames.map((n) => this.waitForStreaming(n)));
  }

  private async print(): Promise<Record<string, NodePrint>> {
    const target = this.snapshotTarget;
    return Object.fromEntries(await Promise.all(target.nodeNames.map(async (n) => [n, await printNode(target, n)] as const)));
  }

  async snapshot(): Promise<void> {
    // the primary first: a fast shutdown sends its last WAL to the standbys, so the copies agree
    await this.stop(this.primaryName, 'fast');
    await Promise.all(this.standbyNames.map((n) => this.stop(n, 'fast')));
    await copyToSnapshot(this.snapshotTarget);
    await this.startAll();
    this.snapshotPrints = await this.print();
  }

  async restore(): Promise<void> {
    if (!this.snapshotPrints) throw new Error('restore() needs a snapshot() first');
    await Promise.all(Object.keys(this.nodes).map((n) => this.stop(n, 'immediate')));
    for (const link of new Set([...Object.values(this.links), ...Object.values(this.routes)])) link.restore();
    for (const n of Object.keys(this.nodes)) {
      const nodeDir = dirname(this.node(n).dirs.dataDir);
      for (const stray of strayFiles(nodeDir, readdirSync(nodeDir))) rmSync(stray, { recursive: true, force: true });
    }
    await copyFromSnapshot(this.snapshotTarget);
    await this.startAll();
    const left = await this.leftovers();
    if (left.length) throw new Error(`the reset left something behind:\n  ${left.join('\n  ')}`);
  }

  async leftovers(): Promise<string[]> {
    const was = this.snapshotPrints;
    if (!was) throw new Error('leftovers() needs a snapshot() first');
    const now = await this.print();
    const links = [...Object.entries(this.links), ...Object.entries(this.routes)]
      .filter(([, link]) => !link.isNormal())
      .map(([name]) => `link ${name}: cut, delayed or throttled`);
    return [...Object.keys(was).flatMap((n) => printDiff(n, was[n]!, now[n]!)), ...links];
  }

  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    try {
      await Promise.all(
        Object.values(this.dirs).map(async (d) => {
          const pid = pg.postmasterPid(d.dataDir);
          if (pid === undefined) return;
          await pg.pgCtlStop(d, 'immediate', 20).catch(() => undefined);
          if (pg.isAlive(pid)) pg.killQuietly(pid, 'SIGKILL');
        }),
      );
      await Promise.all([...new Set([...Object.values(this.links), ...Object.values(this.routes)])].map((l) => l.close().catch(() => undefined)));
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // teardown never throws
    } finally {
      unregister(this);
    }
  }

  /** Synchronous last-resort cleanup (process exit or signal). */
  teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const d of Object.values(this.dirs)) pg.stopSync(d);
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // nothing more can be done while exiting
    }
  }
}
