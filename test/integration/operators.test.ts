import { handler as switchoverHandler } from '../../functions/operators/switchover';
import { localHandlers } from '../../local/handlers';
import type { SwitchoverReceipt } from '../../shared/operators/switchover';
import { handler as planHandler, plan } from '../../functions/operators/plan';
import { status } from '../../functions/operators/status';
import { history } from '../../functions/operators/history';
import { LeaseStore } from '../../shared/aws/lease';
import { dynamoClient } from '../../shared/aws/clients/dynamodb';
import { publishedTargets } from '../../shared/actions/repoint';
import type { FailoverBench } from '../../local/failover-bench';
import { failoverFixture } from '../harness/fixture';
import { LOCAL_DEPLOYMENT } from '../../local/local-stack';
import { AckedWriter } from '../../local/workload';
import { Client } from 'pg';

const invoke = (handler: unknown, event: unknown) => (handler as (e: unknown, c: unknown) => Promise<unknown>)(event, {});
/** The switchover Lambda as deployed, its old primary's rejoin run on the local node. */
const runSwitchover = (request: { cluster: string; to: string; catchUpTimeoutSeconds: number; noRejoin?: boolean }) =>
  localHandlers.switchover(request) as Promise<SwitchoverReceipt>;

describe('operators on the real topology', () => {
  // Operators' actions, not faults: the tests count writers themselves (no background probe sessions).
  const f = failoverFixture({ probe: false });
  let bench: FailoverBench;
  beforeEach(() => ({ bench } = f));
  const cluster = () => bench.stack.cluster();
  const topology = () => bench.stack.topologies.orders!;
  const node = (name: string) => cluster().nodes.find((n) => n.name === name)!;
  const appTarget = (name: string) => ({ host: node(name).host, port: node(name).port, database: cluster().database, ...bench.stack.logins.orders!.app });
  /** Standbys streaming from `writer`, by application_name (the node names). */
  const streamingTo = async (writer: string) =>
    (await topology().query<{ n: string }>(writer, "SELECT application_name AS n FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1")).map((r) => r.n);
  const synchronousStandbyNames = async (name: string) =>
    (await topology().query<{ s: string }>(name, "SELECT current_setting('synchronous_standby_names') AS s"))[0]?.s;
  /** The "writer changed" events published since `from`, as the fault proxy saw the calls. */
  const writerChangedEvents = (from: number) =>
    bench.faults.seen
      .slice(from)
      .filter((c) => c.service === 'events' && /PutEvents$/.test(c.operation))
      .flatMap((c) => (JSON.parse(c.body.toString('utf8')) as { Entries: Array<{ DetailType: string; Detail: string }> }).Entries)
      .map((e) => {
        const { kind, cluster, promoted, previousPrimary } = JSON.parse(e.Detail) as Record<string, unknown>;
        return { DetailType: e.DetailType, kind, cluster, promoted, previousPrimary };
      });
  const writableNodes = async () => {
    const out: string[] = [];
    for (const n of cluster().nodes) {
      if (!topology().isRunning(n.name)) continue;
      // A fresh session, as an application would open: default_transaction_read_only applies to it.
      const rows = await topology().query<{ w: boolean }>(
        n.name,
        "SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off' AS w",
      );
      if (rows[0]?.w) out.push(n.name);
    }
    return out;
  };

  it('switches over under continuous writes with zero acknowledged rows lost and one writer left; the old primary then follows the new writer, or stays aside when asked', async () => {
    const writer = new AckedWriter(appTarget('primary'), 500);
    await writer.start();
    await new Promise((r) => setTimeout(r, 1000));
    const seenFrom = bench.faults.seen.length;

    const receipt = await runSwitchover({ cluster: 'orders', to: 'standby_az2', catchUpTimeoutSeconds: 10 });
    await writer.stop();

    expect(receipt).toMatchObject({ outcome: 'switched', from: 'primary', to: 'standby_az2', notificationErrors: [] });
    expect(writer.lastError).toMatch(/read-only|terminat/);
    const { acked, lost } = await writer.lostOn(appTarget('standby_az2'));
    expect(acked).toBeGreaterThan(100);
    expect(lost).toBe(0);
    expect(await writableNodes()).toEqual(['standby_az2']);
    const { record, urls } = await publishedTargets(cluster());
    expect(record).toBe(node('standby_az2').dnsName);
    expect(urls.every((u) => u.port === node('standby_az2').port)).toBe(true);
    expect(receipt.writeUnavailableMs).toBeGreaterThan(0);
    process.stdout.write(`switchover: ${acked} acked rows, 0 lost, writes unavailable for ${receipt.writeUnavailableMs} ms\n`);
    // The old primary follows the new writer: read-only since the fork, a rewind is enough.
    expect(receipt.oldPrimary).toMatchObject({ node: 'primary', outcome: 'rejoined', method: 'rewind', reason: expect.stringMatching(/^primary streams from the new writer \(rewind, timeline 2\)/) });
    expect(receipt.reasons).toContain("primary's synchronous_standby_names emptied: it names no standby");
    expect(await streamingTo('standby_az2')).toEqual(expect.arrayContaining(['primary', 'standby_dr']));
    expect(await synchronousStandbyNames('primary')).toBe('');
    // Applications are told as after a failover: the same event, naming the new writer.
    expect(writerChangedEvents(seenFrom)).toEqual([{ DetailType: 'PostgreSQL Writer Changed', kind: 'switchover', cluster: 'orders', promoted: 'standby_az2', previousPrimary: 'primary' }]);

    const after = await status({});
    expect(after.clusters[0]).toMatchObject({ writer: 'standby_az2', consistent: true });
    expect(after.clusters[0]!.nodes.find((n) => n.name === 'primary')?.role).toBe('standby');
    // The history keeps both: the switchover, and the rejoin it ran after it (newest first).
    const past = await history({ limit: 5 });
    expect(past.entries.slice(0, 2)).toEqual([
      expect.objectContaining({ kind: 'rejoin', outcome: 'rejoined', from: 'primary', to: 'standby_az2' }),
      expect.objectContaining({ kind: 'switchover', outcome: 'switched', from: 'primary', to: 'standby_az2' }),
    ]);
    expect(past.entries[1]!.receipt).toMatchObject({ oldPrimary: { outcome: 'rejoined' } });

    // Back to the rejoined primary (a failback), keeping standby_az2 aside: read-only, naming no
    // standby. Before it, standby_az2 names its in-region standby as synchronous, as a writer does.
    await topology().query('standby_az2', `ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ("primary")'`);
    await topology().query('standby_az2', 'SELECT pg_reload_conf()');
    const back = await runSwitchover({ cluster: 'orders', to: 'primary', catchUpTimeoutSeconds: 10, noRejoin: true });

    expect(back).toMatchObject({ outcome: 'switched', from: 'standby_az2', to: 'primary', timeline: 3 });
    expect(back.oldPrimary).toEqual({
      node: 'standby_az2',
      outcome: 'left-aside',
      reason: 'standby_az2 is left aside as asked: read-only, naming no synchronous standby; pgfo rejoin --cluster orders --node standby_az2 brings it back',
      method: null,
      commandId: null,
    });
    expect(await writableNodes()).toEqual(['primary']);
    const [aside] = await topology().query<{ r: boolean; ro: string }>('standby_az2', "SELECT pg_is_in_recovery() AS r, current_setting('default_transaction_read_only') AS ro");
    expect(aside).toEqual({ r: false, ro: 'on' });
    expect(await synchronousStandbyNames('standby_az2')).toBe('');
    expect(await streamingTo('standby_az2')).toEqual([]);
    expect(writerChangedEvents(seenFrom).map((e) => e.promoted)).toEqual(['standby_az2', 'primary']);
  });

  it('aborts a switchover whose target cannot catch up, and leaves the old primary writable', async () => {
    await topology().pauseReplay('standby_dr');
    await topology().query('primary', 'CREATE TABLE filler AS SELECT g, md5(g::text) AS pad FROM generate_series(1, 5000) AS g');

    const receipt = await runSwitchover({ cluster: 'orders', to: 'standby_dr', catchUpTimeoutSeconds: 2 });

    expect(receipt.outcome).toBe('aborted');
    expect(receipt.reasons.at(-1)).toMatch(/standby_dr did not replay primary's final WAL within 2 s \(.* behind\): primary is writable again/);
    expect(await writableNodes()).toEqual(['primary']);
    expect((await publishedTargets(cluster())).record).toBe(node('primary').dnsName);
    await topology().resumeReplay('standby_dr');
  });

  it('aborts a switchover while a superuser session it cannot end is open, and leaves the old primary writable', async () => {
    const superuser = new Client({ host: topology().socketDir, port: node('primary').port, user: 'postgres', database: cluster().database });
    superuser.on('error', () => undefined);
    await superuser.connect();
    try {
      const receipt = await runSwitchover({ cluster: 'orders', to: 'standby_az2', catchUpTimeoutSeconds: 5 });

      expect(receipt.outcome).toBe('aborted');
      expect(receipt.reasons.join('; ')).toMatch(/1 superuser session\(s\) on primary could not be ended by pgfo_failover .*aborted/);
      expect(receipt.reasons.join('; ')).toMatch(/primary is writable again \(superuser sessions could not be ended\)/);
      expect(await writableNodes()).toEqual(['primary']);
      const setting = await topology().query<{ s: string }>('primary', "SELECT setting AS s FROM pg_settings WHERE name = 'default_transaction_read_only'");
      expect(setting[0]?.s).toBe('off');
    } finally {
      await superuser.end().catch(() => undefined);
    }
  });

  it('restores writes on the old primary when the switchover fails before promotion (the target dies during catch-up)', async () => {
    await topology().pauseReplay('standby_az2');
    await topology().query('primary', 'CREATE TABLE filler2 AS SELECT g, md5(g::text) AS pad FROM generate_series(1, 5000) AS g');
    const running = runSwitchover({ cluster: 'orders', to: 'standby_az2', catchUpTimeoutSeconds: 30 });
    // Once writes are stopped (the primary is read-only), the target goes away mid catch-up. Watched
    // as the application sees it: a superuser session open at the write stop would abort the switchover.
    const readOnlyForApp = async () => {
      const app = new Client(appTarget('primary'));
      // The switchover ends every session that connects meanwhile; one ended while idle must not crash the test.
      app.on('error', () => undefined);
      try {
        await app.connect();
        const { rows } = await app.query<{ s: string }>("SELECT current_setting('default_transaction_read_only') AS s");
        return rows[0]?.s === 'on';
      } catch {
        return false; // ended by the write stop: look again
      } finally {
        await app.end().catch(() => undefined);
      }
    };
    for (let i = 0; i < 200 && !(await readOnlyForApp()); i += 1) await new Promise((r) => setTimeout(r, 25));
    await topology().stop('standby_az2', 'immediate');

    await expect(running).rejects.toThrow();

    expect(await writableNodes()).toEqual(['primary']);
    const setting = await topology().query<{ s: string }>('primary', "SELECT setting AS s FROM pg_settings WHERE name = 'default_transaction_read_only'");
    expect(setting[0]?.s).toBe('off');
  });

  it('plans without any side effect: only AWS reads, no WAL written, nothing moved', async () => {
    // A first read of catalog rows nobody has read since they were written sets their hint bits, and
    // with wal_log_hints that writes a page image (measured: 368 bytes on the first topology read of a
    // fresh cluster, none on the next). The monitor does that within its first minute; here one
    // earlier plan does, so that the measured plan shows only what the plan itself writes.
    await plan({ cluster: 'orders' });
    await topology().query('primary', 'CHECKPOINT');
    const walBefore = await topology().query<{ lsn: string }>('primary', 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const before = await publishedTargets(cluster());
    const seenFrom = bench.faults.seen.length;

    const result = await plan({ cluster: 'orders' });

    expect(result.wouldFailOver).toBe(false);
    expect(result.summary).toMatch(/primary answers the database probe/);
    expect(result.candidate).toMatchObject({ promote: true, node: 'standby_az2' });
    expect(result.fencing.action).toMatch(/would tag and stop instance .* \(now running; StopInstances permitted, DryRun\)/);
    const calls = bench.faults.seen.slice(seenFrom);
    // dynamodb: the cluster record is read (an absent one is not seeded by a plan).
    expect(new Set(calls.map((c) => c.service))).toEqual(new Set(['dynamodb', 'ec2', 'monitoring', 'route53', 'ssm']));
    // Query and JSON protocols name the action (Describe*, Get*, List*); REST reads are GETs.
    const isRead = (operation: string) => /^GET /.test(operation) || /^(Describe|Get|List)/.test(operation.split('.').at(-1)!);
    // The one call that is not a read proves the fence's permission without acting: StopInstances with DryRun.
    const isDryRun = (c: (typeof calls)[number]) => c.operation === 'StopInstances' && /(?:^|&)DryRun=true(?:&|$)/.test(c.body.toString('utf8'));
    expect(calls.filter((c) => !isRead(c.operation) && !isDryRun(c))).toEqual([]);
    expect(calls.filter(isDryRun)).toHaveLength(1);
    expect(result.fencing.stopPermission).toBe('permitted');
    const walAfter = await topology().query<{ lsn: string }>('primary', 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
    expect(walAfter[0]?.lsn).toBe(walBefore[0]?.lsn);
    expect(await publishedTargets(cluster())).toEqual(before);
    expect(await writableNodes()).toEqual(['primary']);
  });

  it('refuses a switchover to a standby behind the lag guard with the reason plan --to gives, and changes nothing', async () => {
    // Replay stops on the target while the writer writes well past maxLagBytes (commits do not wait
    // for replay): it still streams, on the writer's timeline, but is too far behind.
    await topology().query('standby_az2', 'SELECT pg_wal_replay_pause()');
    await topology().query('primary', 'CREATE TABLE IF NOT EXISTS lag_pad (x text)');
    await topology().query('primary', "INSERT INTO lag_pad SELECT repeat('x', 1000) FROM generate_series(1, 40000)");
    const before = await publishedTargets(cluster());
    const behind = /^standby_az2 streams from primary but is [\d.]+ MB behind \(cap 16 MB\)$/;

    const planned = await plan({ cluster: 'orders', to: 'standby_az2' });
    const receipt = await runSwitchover({ cluster: 'orders', to: 'standby_az2', catchUpTimeoutSeconds: 5 });

    expect(planned.candidate).toMatchObject({ promote: false, reason: expect.stringMatching(behind) });
    expect(receipt).toMatchObject({ outcome: 'refused', from: 'primary', reasons: [expect.stringMatching(behind)] });
    expect(await writableNodes()).toEqual(['primary']);
    expect(await publishedTargets(cluster())).toEqual(before);
    await topology().query('standby_az2', 'SELECT pg_wal_replay_resume()');
  });

  it('refuses a switchover while a failover holds the lease, with the reason', async () => {
    const store = new LeaseStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
    await store.acquire('orders', 'orders-alarm-20261126120000000', 'failover', 600);

    const receipt = await runSwitchover({ cluster: 'orders', to: 'standby_az2', catchUpTimeoutSeconds: 5 });

    expect(receipt).toMatchObject({ outcome: 'refused', reasons: ['orders: failover orders-alarm-20261126120000000 holds the lease'] });
    expect(await writableNodes()).toEqual(['primary']);
  });

  it('stops a switchover that lost its lease during the catch-up before promoting, leaves the old primary read-only and the new holder\'s lease alone', async () => {
    const store = new LeaseStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
    await topology().pauseReplay('standby_az2');
    await topology().query('primary', 'CREATE TABLE before_switch AS SELECT g FROM generate_series(1, 1000) AS g');
    const running = runSwitchover({ cluster: 'orders', to: 'standby_az2', catchUpTimeoutSeconds: 30 });
    running.catch(() => undefined);
    // Once writes are stopped (the switchover waits for the paused target), its lease is taken over
    // as if it had expired: a failover that found it so holds it now.
    // (asked as the application, in a fresh session: a superuser session open at the stop would abort it)
    const readOnly = async () => {
      const app = new Client(appTarget('primary'));
      app.on('error', () => undefined);
      try {
        await app.connect();
        return (await app.query<{ r: string }>("SELECT current_setting('default_transaction_read_only') AS r")).rows[0]?.r === 'on';
      } catch {
        return false;
      } finally {
        await app.end().catch(() => undefined);
      }
    };
    for (const until = Date.now() + 20_000; !(await readOnly()); ) {
      if (Date.now() > until) throw new Error('the switchover never stopped writes');
      await new Promise((r) => setTimeout(r, 100));
    }
    const taken = await store.acquire('orders', 'orders-alarm-20261206080000000', 'failover', 600, Date.now() + 3_600_000);
    expect(taken.acquired).toBe(true);
    await topology().resumeReplay('standby_az2');

    await expect(running).rejects.toMatchObject({ name: 'LeaseLostError', message: expect.stringMatching(/^switchover (cascade|promote): execution switchover-orders-\d+ no longer holds the lease of orders/) });

    expect((await topology().query<{ r: boolean }>('standby_az2', 'SELECT pg_is_in_recovery() AS r'))[0]!.r).toBe(true);
    // Read-only, not made writable again: the lease's holder may be promoting another node.
    expect(await writableNodes()).toEqual([]);
    expect(await store.read('orders')).toMatchObject({ holder: 'orders-alarm-20261206080000000', kind: 'failover' });
    expect((await publishedTargets(cluster())).record).toBe(node('primary').dnsName);
  });

  it('rejects malformed requests naming the field, before any AWS call', async () => {
    const seenFrom = bench.faults.seen.length;
    await expect(invoke(switchoverHandler, { cluster: 'orders' })).rejects.toThrow(/to: .*expected string/);
    await expect(invoke(switchoverHandler, { cluster: 'orders', to: 'standby_az2', force: true })).rejects.toThrow(/unknown field\(s\) force/);
    await expect(invoke(switchoverHandler, { cluster: 'orders', to: 'nope' })).rejects.toThrow('to: cluster orders has no node "nope"');
    await expect(invoke(switchoverHandler, { cluster: 'billing', to: 'standby_az2' })).rejects.toThrow('cluster: unknown cluster "billing"');
    await expect(invoke(planHandler, { cluster: 42 })).rejects.toThrow(/cluster: .*expected string/);
    expect(bench.faults.seen.slice(seenFrom)).toEqual([]);
    expect(await writableNodes()).toEqual(['primary']);
  });
});
