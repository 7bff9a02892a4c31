import { Client } from 'pg';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { sampleAndPublish } from '../../functions/monitor/handler';
import type { SwitchoverReceipt } from '../../shared/operators/switchover';
import { publishedTargets } from '../../shared/actions/repoint';
import { LeaseStore } from '../../shared/aws/lease';
import { ClusterRecordStore } from '../../shared/aws/cluster-record';
import { instanceTags } from '../../shared/aws/ec2';
import { localHandlers } from '../../local/handlers';
import { dynamoClient } from '../../shared/aws/clients/dynamodb';
import { LOCAL_DEPLOYMENT } from '../../local/local-stack';
import { readMetric } from '../../local/cloudwatch-readback';
import { calls } from '../../local/fault-proxy';
import type { FailoverBench } from '../../local/failover-bench';
import { LinkProxy } from '../../local/link-proxy';
import { failoverFixture, type BenchOptions, type Scenario } from '../harness/fixture';
import type { FailoverConfig } from '../../shared/config/schema';

/**
 * The fault matrix: each test is one fault, with the end state asserted, a split-brain probe running
 * throughout and acknowledged writes accounted for. (Primary crash, region outage, false alarm, DR
 * over the lag cap, duplicate alarms and Route 53/SSM faults are in failover.test.ts; docs/faults.md
 * lists them all.)
 */
describe('fault matrix', () => {
  const f = failoverFixture();
  let bench: FailoverBench;
  let s: Scenario;
  const { emulator, expectNoSplitBrain } = f;
  const start = async (options: BenchOptions | ((config: FailoverConfig) => void) = {}) =>
    ({ bench, s } = await f.start(typeof options === 'function' ? { mutate: options } : options));

  it('primary alive but unreachable from the control plane only: no failover; re-checked while the alarm stays in ALARM, then a person must decide; one writer', async () => {
    await start();
    // The control plane reaches the primary through its own link; applications and replication do not.
    const controlLink = await LinkProxy.start({ host: s.node('primary').host, port: s.node('primary').port });
    const config = JSON.parse(JSON.stringify(bench.stack.config)) as FailoverConfig;
    config.clusters[0]!.nodes[0]!.port = controlLink.port;
    const file = `${bench.stack.configFile}.control-link.json`;
    writeFileSync(file, JSON.stringify(config));
    process.env.PGFO_CONFIG_FILE = file;
    const writer = s.writer('primary');
    await writer.start();
    controlLink.cut('reset');

    const execution = await s.failover();
    await writer.stop().catch(() => undefined);

    const receipt = s.receipt(execution);
    expect(receipt.outcome).toBe('undecided');
    expect(receipt.reasons[0]).toMatch(/standbys: up \(.*still receive WAL from the primary[\s\S]*a person must decide/);
    expect(receipt.promoted).toBeNull();
    expect(receipt.outageChecks.length).toBeGreaterThan(2);
    expect(receipt.outageChecks.every((c) => c.alarmState === 'ALARM' && c.signals.includes('standbys: up (receiving)'))).toBe(true);
    const verdict = await expectNoSplitBrain(execution);
    // Never a writer but the primary (a round on a loaded machine may time out and see none).
    expect(verdict.rounds.filter((r) => r.writable.some((w) => w !== 'primary'))).toEqual([]);
    expect(verdict.rounds.filter((r) => r.writable.includes('primary')).length).toBeGreaterThan(verdict.rounds.length / 2);
    await controlLink.close();
  });

  it('a stall shorter than the detection window (a paused VM): no failover, nothing lost', async () => {
    await start();
    const writer = s.writer('primary');
    await writer.start();
    const pid = Number(readFileSync(join(s.topology().nodes.primary!.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // The postmaster leads its own process group: stopping the group pauses every backend.
    process.kill(-pid, 'SIGSTOP');
    const execution = s.failover({ alarmClears: true });
    await new Promise((r) => setTimeout(r, 700));
    process.kill(-pid, 'SIGCONT');

    const done = await execution;
    await new Promise((r) => setTimeout(r, 300));
    await writer.stop();

    expect(s.receipt(done).outcome).toBe('no-failover');
    await expectNoSplitBrain(done);
    expect((await writer.lostOn(s.appTarget('primary'))).lost).toBe(0);
    expect((await publishedTargets(s.cluster())).record).toBe(s.node('primary').dnsName);
  });

  it('DR unreachable during a region outage: refused with the reason, nothing promoted', async () => {
    await start();
    await s.topology().stop('standby_dr');
    s.topology().links.standby_dr!.cut('reset');
    await s.stopInstances('primary', 'standby_az2');

    const execution = await s.failover();

    const receipt = s.receipt(execution);
    expect(receipt.outcome).toBe('refused');
    expect(receipt.reasons.join('; ')).toMatch(/standby_az2 does not answer/);
    expect(receipt.reasons.join('; ')).toMatch(/standby_dr does not answer/);
    const verdict = await expectNoSplitBrain(execution);
    expect(verdict.rounds.at(-1)?.writable).toEqual([]);
  });

  it('a switchover racing an automatic failover: one of them acts, the other is refused by the lease', async () => {
    await start();
    const failover = s.failover({ alarmClears: true });
    const store = new LeaseStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
    for (let i = 0; i < 200 && !(await store.read('orders')).holder; i += 1) await new Promise((r) => setTimeout(r, 20));
    // The old primary is kept aside (--no-rejoin): this test is about the lease, not the rejoin.
    const runSwitchover = () => localHandlers.switchover({ cluster: 'orders', to: 'standby_az2', catchUpTimeoutSeconds: 10, noRejoin: true }) as Promise<SwitchoverReceipt>;
    const switchover = await runSwitchover();
    const execution = await failover;

    expect(switchover.outcome).toBe('refused');
    expect(switchover.reasons[0]).toMatch(/failover orders-alarm-\d+ holds the lease/);
    expect(s.receipt(execution).outcome).toBe('no-failover');
    await expectNoSplitBrain(execution);
    // With the failover done, the same switchover goes through.
    expect((await runSwitchover()).outcome).toBe('switched');
  });

  it('EC2 API unreachable in the primary region (connections reset): the DR is promoted unfenced, the receipt says why', async () => {
    await start();
    // The monitor has published the writer's position (the lag guard's independent reference).
    await sampleAndPublish({ samples: 3, intervalMs: 200 });
    // The region's API is out for every caller: the control plane's path and the witness's.
    for (const proxy of [bench.faults, bench.witness.faults]) proxy.fail({ match: calls.ec2In('us-east-1'), status: 'reset', times: Infinity });
    s.topology().links.standby_dr!.cut('reset');
    await s.topology().stop('primary');
    await s.topology().stop('standby_az2');

    const execution = await s.failover();

    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr' });
    expect(receipt.reasons.join('; ')).toMatch(/region us-east-1 is out/);
    expect(receipt.fencing).toMatchObject({
      fenced: false,
      instanceState: null,
      reason: expect.stringMatching(/EC2 API in us-east-1 unreachable[\s\S]*proceeding unfenced: its region's API is unreachable \(requireFencing: unless-region-unreachable\)/),
    });
    // Let the probe take rounds after the workflow has finished, then judge those.
    await new Promise((r) => setTimeout(r, 500));
    const verdict = await expectNoSplitBrain(execution);
    const end = Math.max(...execution.states.map((st) => st.endMs ?? 0));
    const after = verdict.rounds.filter((r) => r.at > end);
    expect(after.length).toBeGreaterThan(0);
    expect(after.at(-1)).toMatchObject({ writable: ['standby_dr'], published: 'standby_dr' });

    // The fence stays pending in the cluster record; the scheduled convergeFences completes it once
    // the region answers again: the old writer's instance, still running, is tagged and stopped.
    const converge = async () => (await localHandlers.convergeFences({ cluster: 'orders' })).clusters[0]!;
    const records = new ClusterRecordStore(dynamoClient('us-west-2'), LOCAL_DEPLOYMENT.leaseTable);
    expect((await records.read('orders'))?.fenced.primary).toMatchObject({ confirmed: false });
    expect((await converge()).fences).toEqual([expect.objectContaining({ node: 'primary', verdict: expect.objectContaining({ action: 'wait' }), actions: [] })]);
    bench.faults.clear();
    bench.witness.faults.clear();
    expect((await converge()).fences).toEqual([
      expect.objectContaining({ node: 'primary', verdict: expect.objectContaining({ action: 'fence' }), actions: [expect.stringMatching(/^tagged pgfo:fenced=/), expect.stringMatching(/^stop requested/)] }),
    ]);
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: emulator() });
    expect(await instanceTags(ec2, s.node('primary').instanceId)).toMatchObject({ 'pgfo:fenced': expect.any(String) });
    let last = await converge();
    for (const deadline = Date.now() + 15000; last.fences[0]?.verdict.action !== 'confirm' && Date.now() < deadline; last = await converge()) await new Promise((r) => setTimeout(r, 500));
    expect(last).toMatchObject({ fences: [{ node: 'primary', verdict: { action: 'confirm' } }], generation: expect.any(Number) });
    expect((await records.read('orders'))?.fenced.primary).toMatchObject({ confirmed: true });
    // Nothing left pending: the next run does nothing.
    expect(await converge()).toMatchObject({ fences: [], generation: null });
  });

  it('EC2 API unreachable and requireFencing "always": nothing promoted, the reason given', async () => {
    await start((config) => (config.clusters[0]!.policy.requireFencing = 'always'));
    for (const proxy of [bench.faults, bench.witness.faults]) proxy.fail({ match: calls.ec2In('us-east-1'), status: 'reset', times: Infinity });
    await s.topology().stop('primary');

    const execution = await s.failover();

    const receipt = s.receipt(execution);
    expect(receipt.outcome).toBe('refused');
    expect(receipt.reasons.join('; ')).toMatch(/not fenced \(EC2 API in us-east-1 unreachable[\s\S]*not proceeding \(requireFencing: always\)/);
    expect(receipt.promoted).toBeNull();
    await expectNoSplitBrain(execution);
  });

  it('fence refused with the primary alive (StopInstances denied): nothing promoted, one writer throughout; an operator override proceeds and names who accepted it', async () => {
    await start();
    const denied = bench.faults.fail({
      match: calls.ec2Stop('us-east-1'),
      status: 403,
      times: Infinity,
      ec2Error: { code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' },
    });
    const controlLink = await s.isolatePrimary();

    const execution = await s.failover();

    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'refused', promoted: null });
    expect(receipt.fencing).toMatchObject({ fenced: false, acceptedUnfencedBy: null, reason: expect.stringMatching(/EC2 refused: .*UnauthorizedOperation[\s\S]*not proceeding \(requireFencing: unless-region-unreachable\)/) });
    expect(denied.times).toBe(Infinity);
    const verdict = await s.verdict(execution);
    expect(verdict.rounds.length).toBeGreaterThan(0);
    // Never a writer but the primary (a round on a loaded machine may time out and see none).
    expect(verdict.rounds.filter((r) => r.writable.some((w) => w !== 'primary'))).toEqual([]);
    expect(verdict.rounds.filter((r) => r.writable.includes('primary')).length).toBeGreaterThan(verdict.rounds.length / 2);
    expect(s.topology().isRunning('primary')).toBe(true);

    const overridden = await s.manualFailover({ acceptUnfencedBy: 'alice@example.com' });

    expect(s.receipt(overridden)).toMatchObject({
      outcome: 'promoted',
      promoted: 'standby_az2',
      fencing: { fenced: false, acceptedUnfencedBy: 'alice@example.com', reason: expect.stringMatching(/proceeding unfenced: accepted by alice@example.com/) },
    });
    await controlLink.close();
  });

  it('an instance seen "stopping" is not fenced: the fence waits for "stopped" while the old writer still runs, then promotes; one writer at every round', async () => {
    await start();
    const controlLink = await s.isolatePrimary();

    const execution = await s.failover();

    expect(s.receipt(execution)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', fencing: { fenced: true, instanceState: 'stopped' } });
    const verdict = await s.verdict(execution);
    const fence = execution.states.find((st) => st.name === 'FencePrimary')!;
    // The stopping phase was real: the old writer still took writes after the fence had begun.
    expect(verdict.rounds.some((r) => r.at > fence.startMs && r.writable.includes('primary'))).toBe(true);
    expect(verdict.rounds.filter((r) => r.writable.length > 1)).toEqual([]);
    expect(verdict.publishedToNonWriter).toEqual([]);
    await controlLink.close();
  });

  it('an instance still "stopping" when the fence wait ends: not fenced, nothing promoted', async () => {
    await start({ stoppingMs: 6000, mutate: (config) => (config.clusters[0]!.policy.fenceTimeoutSeconds = 1) });
    const controlLink = await s.isolatePrimary();

    const execution = await s.failover();

    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'refused', promoted: null, fencing: { fenced: false, instanceState: 'stopping' } });
    expect(receipt.fencing!.reason).toMatch(/instance still stopping after \d+ s\)[\s\S]*not proceeding/);
    const verdict = await s.verdict(execution);
    expect(verdict.rounds.filter((r) => r.writable.length > 1)).toEqual([]);
    expect(verdict.rounds.some((r) => r.writable.includes('standby_az2'))).toBe(false);
    await controlLink.close();
  });

  it('a lease lost during confirmation stops the run before the fence with LeaseLostError: nothing stopped, nothing promoted', async () => {
    await start();
    await s.topology().stop('primary');
    const store = new LeaseStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
    const running = s.failover();
    let holder: string | undefined;
    for (let i = 0; i < 500 && !holder; i += 1) {
      holder = (await store.read('orders')).holder;
      if (!holder) await new Promise((r) => setTimeout(r, 10));
    }
    // The lease expires under the execution and an operator's switchover takes it.
    expect(await store.release('orders', holder!, 0)).toBe(true);
    expect((await store.acquire('orders', 'intruder', 'switchover', 600)).acquired).toBe(true);

    const execution = await running;

    expect(execution).toMatchObject({ status: 'FAILED', error: 'LeaseLostError' });
    expect(execution.states.map((st) => st.name)).toContain('RecordLeaseLost');
    expect(execution.states.map((st) => st.name)).not.toContain('PromoteCandidate');
    expect((await store.read('orders')).holder).toBe('intruder');
    const ec2Writes = bench.faults.seen.filter((c) => c.service === 'ec2' && ['StopInstances', 'CreateTags'].includes(c.operation));
    expect(ec2Writes).toEqual([]);
    expect(await s.topology().query<{ r: boolean }>('standby_az2', 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: true }]);
    await expectNoSplitBrain(execution);
  });

  it('a lease lost between the promotion and the repoint stops all three branches before they change anything', async () => {
    const store = () => new LeaseStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
    const branches = ['RewriteDatabaseUrl', 'RepointDns', 'RepointFollowers'];
    let stolen: Promise<void> | undefined;
    // Once, before any branch's handler runs: the lease expires under the execution and an
    // operator's switchover takes it.
    const steal = async () => {
      const { holder } = await store().read('orders');
      expect(await store().release('orders', holder!, 0)).toBe(true);
      expect((await store().acquire('orders', 'intruder', 'switchover', 600)).acquired).toBe(true);
    };
    await start({ beforeTask: (state) => (branches.includes(state) ? (stolen ??= steal()) : Promise.resolve()) });
    const conninfo = () => s.topology().query<{ v: string }>('standby_dr', "SELECT current_setting('primary_conninfo') AS v");
    const followedBefore = await conninfo();
    const publishedBefore = await publishedTargets(s.cluster());
    await s.stopInstances('primary');

    const execution = await s.failover();

    expect(execution).toMatchObject({ status: 'FAILED', error: 'LeaseLostError' });
    const names = execution.states.map((st) => st.name);
    expect(names).toEqual(expect.arrayContaining(['PromoteCandidate', ...branches, 'RecordLeaseLost']));
    expect(names).not.toContain('PublishReceipt');
    // Promoted, but nothing after it: no DATABASE_URL, no DNS intent or change, no standby re-pointed.
    expect(bench.faults.seen.filter((c) => calls.ssmPut(c) || calls.route53Change(c))).toEqual([]);
    expect(await store().readDnsIntent('orders')).toBeNull();
    expect(await publishedTargets(s.cluster())).toEqual(publishedBefore);
    expect(await conninfo()).toEqual(followedBefore);
    expect((await store().read('orders')).holder).toBe('intruder');
    await expectNoSplitBrain(execution);
  });

  it('EC2 failing once while fencing: retried, fenced, promoted', async () => {
    await start();
    await s.stopInstances('primary');
    const once = bench.faults.fail({ match: (i) => calls.ec2In('us-east-1')(i) && i.operation === 'StopInstances', status: 503, times: 1 });

    const execution = await s.failover();

    expect(once.times).toBe(0);
    expect(s.receipt(execution)).toMatchObject({ outcome: 'promoted', fencing: { fenced: true } });
    await expectNoSplitBrain(execution);
  });

  it('the control plane dies between promote and repoint: a redrive converges without a second promotion', async () => {
    await start();
    await s.stopInstances('primary');
    const writer = s.writer('standby_az2');
    bench.machine.executions().clear();
    let name = '';
    const died = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (const [n, exec] of bench.machine.executions()) {
          name = n;
          void exec.then(() => resolve());
        }
        if (name) clearInterval(timer);
      }, 5);
    });
    const watch = setInterval(() => {
      const running = bench.machine.executions().get(name);
      if (running && s.topology().isRunning('standby_az2')) {
        void s.topology().query<{ r: boolean }>('standby_az2', 'SELECT pg_is_in_recovery() AS r').then((rows) => {
          if (rows[0]?.r === false) bench.machine.abort(name);
        });
      }
    }, 5);
    const first = s.failover();
    await died;
    clearInterval(watch);
    const aborted = await first;

    expect(aborted.status).toBe('FAILED');
    expect((await publishedTargets(s.cluster())).record).toBe(s.node('primary').dnsName);

    const redriven = await bench.machine.redrive(name);

    expect(redriven.status).toBe('SUCCEEDED');
    expect(s.receipt(redriven)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', alreadyPrimary: true });
    expect((await publishedTargets(s.cluster())).record).toBe(s.node('standby_az2').dnsName);
    // One promotion: the node writes on timeline 2 (a second promotion would have made it 3).
    const wal = await s.topology().query<{ tli: string }>('standby_az2', 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli');
    expect(wal[0]?.tli).toBe('00000002');
    await writer.start();
    await writer.stop();
    expect(writer.acked.length).toBeGreaterThan(0);
    await expectNoSplitBrain(redriven);
  });

  it('the old primary restarted after the failover never takes writes through the published endpoint, and the split-brain metric shows it', async () => {
    await start();
    await s.stopInstances('primary');
    const execution = await s.failover();
    expect(s.receipt(execution).promoted).toBe('standby_az2');

    // Someone starts the old primary's instance again, and PostgreSQL with it (on its old timeline),
    // on a host without the guard in a region whose EC2 events do not reach the control plane (with
    // either, the node comes back read-only or is fenced again: node-returned.test.ts).
    bench.boot.withoutGuard('primary');
    bench.boot.undelivered('primary');
    const old = s.node('primary');
    await new EC2Client({ region: old.region, endpoint: emulator() }).send(new StartInstancesCommand({ InstanceIds: [old.instanceId] }));
    await s.topology().start('primary');
    await new Promise((r) => setTimeout(r, 500));
    await sampleAndPublish({ samples: 1 });

    const verdict = await s.verdict(execution);
    // Two writers exist (nothing fences a node someone restarts by hand) — and the monitor says so:
    const since = new Date(Date.now() - 60000);
    const writable = await readMetric(bench.stack.config.controlRegion, 'PgFailover', 'WritableNodes', { Cluster: 'orders' }, since);
    expect(writable.at(-1)).toBe(2);
    expect(verdict.rounds.at(-1)?.writable.sort()).toEqual(['primary', 'standby_az2']);
    const failoverEnd = Math.max(...execution.states.map((st) => st.endMs ?? 0));
    const afterFailover = verdict.rounds.filter((r) => r.at > failoverEnd);
    expect(afterFailover.length).toBeGreaterThan(3);
    expect(afterFailover.every((r) => r.published === 'standby_az2')).toBe(true);
    expect(verdict.publishedToNonWriter.filter((r) => r.published === 'primary')).toEqual([]);
    const url = (await publishedTargets(s.cluster())).urls[0]!;
    const client = new Client({ host: url.host, port: url.port, database: 'orders', ...bench.stack.logins.orders!.app });
    await client.connect();
    const rows = await client.query('SELECT pg_is_in_recovery() AS r, inet_server_port() AS port');
    await client.end();
    expect(rows.rows[0]).toMatchObject({ r: false, port: s.node('standby_az2').port });
  });

  it('a candidate whose promotion times out: the execution fails with PromotionFailedError, nothing is repointed, a re-run converges', async () => {
    await start((config) => (config.clusters[0]!.policy.promoteTimeoutSeconds = 1));
    await s.stopInstances('primary');
    const startup = await s.topology().query<{ pid: number }>('standby_az2', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'startup'");
    const pid = Number(startup[0]!.pid);
    process.kill(pid, 'SIGSTOP');
    let execution;
    try {
      execution = await s.failover();
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('PromotionFailedError');
    expect((await publishedTargets(s.cluster())).record).toBe(s.node('primary').dnsName);

    const rerun = await s.failover();
    expect(rerun.status).toBe('SUCCEEDED');
    expect(s.receipt(rerun)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2' });
    await expectNoSplitBrain(rerun);
  });
});
