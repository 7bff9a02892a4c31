import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { isAlive } from '../../local/pg-node';
import { createTopology, type Login, type Topology, type TopologyOptions } from '../../local/topology';
import { waitFor } from '../../local/wait';

const MB = 1024 * 1024;
const password = (): string => randomBytes(12).toString('hex');
const logins = {
  monitor: { user: 'pgfo_monitor', password: password() },
  failover: { user: 'pgfo_failover', password: password() },
  app: { user: 'orders_app', password: password() },
};
const options: TopologyOptions = {
  nodes: [
    { name: 'primary', role: 'primary' },
    { name: 'standby_az2', role: 'sync-standby' },
    { name: 'standby_dr', role: 'async-standby' },
  ],
  database: 'orders',
  logins,
};

/** Runs fn over TCP with a password login, as the control plane would connect. */
async function asLogin<T>(topo: Topology, node: string, login: Login, fn: (c: Client) => Promise<T>): Promise<T> {
  const { host, port } = topo.nodes[node]!;
  const client = new Client({ host, port, user: login.user, password: login.password, database: options.database });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function inRecovery(topo: Topology, node: string): Promise<boolean> {
  const [row] = await topo.query<{ r: boolean }>(node, 'SELECT pg_is_in_recovery() AS r');
  return row!.r;
}

/** Bytes between the primary's current WAL position and each standby's replayed position. */
async function replayLag(topo: Topology): Promise<Record<string, number>> {
  const rows = await topo.query<{ name: string; lag: number | null }>(
    'primary',
    'SELECT application_name AS name, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag FROM pg_stat_replication',
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.lag ?? Number.POSITIVE_INFINITY]));
}

async function streamingOnPrimary(topo: Topology, standby: string): Promise<boolean> {
  const rows = await topo.query('primary', "SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", [standby]);
  return rows.length > 0;
}

async function receiverStreaming(topo: Topology, standby: string): Promise<boolean> {
  const rows = await topo.query(standby, "SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'");
  return rows.length > 0;
}

describe('replication topology', () => {
  let topo: Topology;

  beforeAll(async () => {
    topo = await createTopology(options);
  });

  afterAll(async () => {
    await topo?.teardown();
  });

  it('comes up with a writable primary whose rows reach both standbys, one sync and one async', async () => {
    // Prepare
    await asLogin(topo, 'primary', logins.app, (c) => c.query('CREATE TABLE orders (id int PRIMARY KEY, item text)'));
    // Act
    await asLogin(topo, 'primary', logins.app, (c) => c.query("INSERT INTO orders VALUES (1, 'widget')"));
    // Assess
    expect(await inRecovery(topo, 'primary')).toBe(false);
    expect(await inRecovery(topo, 'standby_az2')).toBe(true);
    expect(await inRecovery(topo, 'standby_dr')).toBe(true);
    for (const standby of ['standby_az2', 'standby_dr']) {
      await waitFor(`order 1 on ${standby}`, async () => (await topo.query(standby, 'SELECT item FROM orders WHERE id = 1')).length === 1);
    }
    const states = await topo.query<{ application_name: string; state: string; sync_state: string }>(
      'primary',
      'SELECT application_name, state, sync_state FROM pg_stat_replication ORDER BY application_name',
    );
    expect(states).toEqual([
      { application_name: 'standby_az2', state: 'streaming', sync_state: 'sync' },
      { application_name: 'standby_dr', state: 'streaming', sync_state: 'async' },
    ]);
    expect(Object.keys(topo.links)).toEqual(['standby_dr']);
    expect(topo.links.standby_dr!.stats().connections).toBeGreaterThan(0);
  });

  it('shows the monitor login the replication positions', async () => {
    // Act
    const rows = await asLogin(topo, 'primary', logins.monitor, async (c) =>
      (await c.query('SELECT application_name, sent_lsn, write_lsn, flush_lsn, replay_lsn FROM pg_stat_replication')).rows,
    );
    // Assess
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      for (const column of ['sent_lsn', 'write_lsn', 'flush_lsn', 'replay_lsn']) expect(row[column]).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    }
  });

  it('lets the DR fall behind on a throttled link while the sync standby keeps up, and catch up when restored', async () => {
    // Prepare
    const link = topo.links.standby_dr!;
    await topo.query('primary', 'CREATE TABLE burst (id int, pad text)');
    link.setBandwidth(64 * 1024);
    // Act: ≈5.5 MB of WAL
    await topo.query('primary', "INSERT INTO burst SELECT g, repeat('x', 1000) FROM generate_series(1, 5000) AS g");
    const [{ end } = { end: '' }] = await topo.query<{ end: string }>('primary', 'SELECT pg_current_wal_lsn()::text AS end');
    // Assess
    const behind = await waitFor('DR replay lag > 1 MB', async () => {
      const lag = await replayLag(topo);
      return (lag.standby_dr ?? 0) > MB && lag;
    });
    await waitFor('sync standby replay lag 0 while the DR is behind', async () => (await replayLag(topo)).standby_az2 === 0);
    expect((await replayLag(topo)).standby_dr).toBeGreaterThan(MB);
    expect(behind.standby_dr).toBeGreaterThan(MB);

    link.restore();
    await waitFor(
      'DR replay to reach the end of the burst',
      async () => {
        const rows = await topo.query<{ done: boolean }>(
          'primary',
          "SELECT replay_lsn >= $1::pg_lsn AS done FROM pg_stat_replication WHERE application_name = 'standby_dr'",
          [end],
        );
        return rows[0]?.done === true;
      },
      { timeoutMs: 30_000 },
    );
    const [count] = await topo.query<{ n: number }>('standby_dr', 'SELECT count(*)::int AS n FROM burst');
    expect(count!.n).toBe(5000);
  });

  it('drops the DR from replication while its link is reset, and resumes streaming after restore', async () => {
    // Prepare
    const link = topo.links.standby_dr!;
    await topo.waitForStreaming('standby_dr');
    // Act
    link.cut('reset');
    // Assess
    await waitFor('DR gone from pg_stat_replication', async () => !(await streamingOnPrimary(topo, 'standby_dr')));
    await waitFor('DR wal receiver not streaming', async () => !(await receiverStreaming(topo, 'standby_dr')));
    expect(await streamingOnPrimary(topo, 'standby_az2')).toBe(true);

    link.restore();
    await topo.waitForStreaming('standby_dr');
    await waitFor('DR wal receiver streaming again', () => receiverStreaming(topo, 'standby_dr'));
  });

  it('loses the DR within wal_sender_timeout while its link is black-holed, and resumes streaming after restore', async () => {
    // Prepare
    const link = topo.links.standby_dr!;
    await topo.waitForStreaming('standby_dr');
    // Act
    link.cut('blackhole');
    await topo.query('primary', 'CREATE TABLE during_partition AS SELECT 1 AS id');
    // Assess
    await waitFor('primary to drop the black-holed DR', async () => !(await streamingOnPrimary(topo, 'standby_dr')), { timeoutMs: 20_000 });
    expect(await topo.query('standby_dr', "SELECT 1 FROM pg_class WHERE relname = 'during_partition'")).toEqual([]);
    link.restore();
    await topo.waitForStreaming('standby_dr');
    await waitFor('DR to replay what was written during the partition', async () =>
      (await topo.query('standby_dr', "SELECT 1 FROM pg_class WHERE relname = 'during_partition'")).length === 1,
    );
  });

  it('stops, starts and pauses replay on a node idempotently', async () => {
    // Act
    await topo.stop('standby_dr');
    await topo.stop('standby_dr', 'immediate');
    const stopped = topo.isRunning('standby_dr');
    await topo.start('standby_dr');
    await topo.start('standby_dr');
    await topo.waitForStreaming('standby_dr');
    await topo.pauseReplay('standby_dr');
    const [paused] = await topo.query<{ p: boolean }>('standby_dr', 'SELECT pg_is_wal_replay_paused() AS p');
    await topo.resumeReplay('standby_dr');
    const [resumed] = await topo.query<{ p: boolean }>('standby_dr', 'SELECT pg_is_wal_replay_paused() AS p');
    // Assess
    expect(stopped).toBe(false);
    expect(topo.isRunning('standby_dr')).toBe(true);
    expect(paused!.p).toBe(true);
    expect(resumed!.p).toBe(false);
  });

  it('lets the failover login, which is no superuser, promote a standby that then accepts writes', async () => {
    // Prepare
    const failover = logins.failover;
    const [role] = await topo.query<{ rolsuper: boolean }>('primary', 'SELECT rolsuper FROM pg_roles WHERE rolname = $1', [failover.user]);
    // Act
    const promoted = await asLogin(topo, 'standby_dr', failover, async (c) => (await c.query('SELECT pg_promote(true, 60) AS ok')).rows[0]);
    await asLogin(topo, 'standby_dr', failover, (c) => c.query('INSERT INTO pgfo_heartbeat VALUES (1, now())'));
    // Assess
    expect(role!.rolsuper).toBe(false);
    expect(promoted).toEqual({ ok: true });
    expect(await inRecovery(topo, 'standby_dr')).toBe(false);
    expect(await topo.query('standby_dr', 'SELECT id FROM pgfo_heartbeat')).toEqual([{ id: 1 }]);
  });
});

describe('topology teardown', () => {
  it('removes the directory and leaves no postgres process behind', async () => {
    // Prepare
    const topo = await createTopology({ ...options, database: 'teardown_probe' });
    const dataDirs = Object.values(topo.nodes).map((n) => n.dataDir);
    const pids = dataDirs.map((d) => Number(readFileSync(join(d, 'postmaster.pid'), 'utf8').split('\n')[0]));
    // Act
    await topo.teardown();
    await topo.teardown();
    // Assess
    expect(pids.every((p) => p > 0)).toBe(true);
    expect(existsSync(topo.dir)).toBe(false);
    expect(pids.filter(isAlive)).toEqual([]);
    for (const dataDir of dataDirs) expect(pgrep(dataDir)).toEqual([]);
    expect(Object.keys(topo.nodes).map((n) => topo.isRunning(n))).toEqual([false, false, false]);
  });
});

function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('topology reset to its snapshot (the suites reuse one topology between tests)', () => {
  let topo: Topology;
  beforeAll(async () => {
    topo = await createTopology({ ...options, database: 'reset_probe' });
    await topo.snapshot();
  });
  afterAll(async () => topo?.teardown());

  /** What a failover test leaves: a promoted standby, a table, settings, a role, a client rule and a cut link. */
  const dirty = async () => {
    await topo.query('primary', 'CREATE TABLE left_behind (id int)');
    await topo.query('primary', 'ALTER SYSTEM SET default_transaction_read_only = on');
    await topo.query('primary', 'CREATE ROLE intruder');
    writeFileSync(join(topo.nodes.primary!.dataDir, 'pg_hba.conf'), `host replication all 0.0.0.0/0 reject\n${readFileSync(join(topo.nodes.primary!.dataDir, 'pg_hba.conf'), 'utf8')}`);
    await topo.query('primary', 'SELECT pg_reload_conf()');
    await topo.query('standby_az2', 'SELECT pg_promote(true, 30)');
    topo.links.standby_dr!.cut('blackhole');
  };

  it('names everything a test left behind, never a setting value, and a reset takes it all away', async () => {
    expect(await topo.leftovers()).toEqual([]);
    await dirty();

    const left = await topo.leftovers();

    expect(left).toEqual(
      expect.arrayContaining([
        'primary: relation public.left_behind was not there',
        'primary: role intruder was not there',
        'primary: setting default_transaction_read_only differs',
        'primary: pg_hba rule host replication all 0.0.0.0 0.0.0.0 reject was not there',
        'standby_az2: pg_is_in_recovery() false, was true',
        'link standby_dr: cut, delayed or throttled',
      ]),
    );
    expect(left.join('\n')).not.toContain(topo.replicationPassword);

    await topo.restore();

    expect(await topo.leftovers()).toEqual([]);
    expect(await inRecovery(topo, 'standby_az2')).toBe(true);
    await topo.query('primary', 'CREATE TABLE after_reset (id int)');
    await topo.query('primary', 'INSERT INTO after_reset VALUES (1)');
    await waitFor('the row written after the reset on both standbys', async () => {
      const counts = await Promise.all(['standby_az2', 'standby_dr'].map((n) => topo.query(n, "SELECT 1 FROM pg_class WHERE relname = 'after_reset'")));
      return counts.every((rows) => rows.length === 1);
    });
    await topo.restore();
  });

  it('refuses a reset whose result differs from what the snapshot recorded, naming the difference', async () => {
    // The copy itself is damaged: what comes back is not what was recorded when it was taken.
    writeFileSync(join(`${topo.nodes.primary!.dataDir}.snapshot`, 'postgresql.auto.conf'), "default_transaction_read_only = 'on'\n", { flag: 'a' });

    await expect(topo.restore()).rejects.toThrow(/the reset left something behind:\n {2}primary: setting default_transaction_read_only differs/);
  });
});
