import { EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { cloudWatchClient } from '../../shared/aws/clients/cloudwatch';
import type { RepairReceipt } from '../../shared/actions/repair-receipt';
import { alarmDefinitions } from '../../shared/infra/alarms';
import type { HistoryEntry } from '../../shared/operators/history';
import { clusterRecordStore } from '../../shared/workflow/environment';
import type { SynchronousRecord } from '../../shared/decisions/cluster-record';
import { LocalAlarm } from '../../local/alarm-evaluator';
import { localHandlers } from '../../local/handlers';
import { LOCAL_DEPLOYMENT } from '../../local/local-stack';
import type { LocalExecution } from '../../local/state-machine';
import { waitFor } from '../../local/wait';
import { CommitClock } from '../../local/workload';
import { MonitorLoop } from '../../drill/control-plane';
import { failoverFixture } from '../harness/fixture';

/** The monitor every 2 s, as the drill runs it (deployed: every sampleIntervalSeconds). */
const MONITOR_INTERVAL_MS = 2000;

/**
 * The synchronous standby managed on the real topology: standby_az2 (named in the primary's
 * `FIRST 1 (…)`) loses power under continuous commits. The split-brain probe runs throughout; no
 * failover may start (nothing happened to the writer).
 */
describe('synchronous standby management on the real topology', () => {
  const f = failoverFixture();
  let monitor: MonitorLoop | undefined;
  let clock: CommitClock | undefined;

  afterEach(async () => {
    await monitor?.stop();
    await clock?.stop();
    monitor = undefined;
    clock = undefined;
  }, 120_000);

  const record = async (): Promise<SynchronousRecord | null> => (await clusterRecordStore(f.bench.stack.config).read(f.s.cluster().name))?.synchronous ?? null;
  const syncNames = async () => (await f.s.topology().query<{ s: string }>('primary', "SELECT current_setting('synchronous_standby_names') AS s"))[0]?.s;
  const repairs = async () =>
    ((await localHandlers.history({ cluster: f.s.cluster().name })) as { entries: HistoryEntry[] }).entries
      .filter((e) => e.kind === 'repair' && (e.receipt as unknown as RepairReceipt).repair === 'synchronous')
      .map((e) => e.receipt as unknown as RepairReceipt);
  /** The probe's rounds: never two writers (no execution: the whole run counts). */
  const expectOneWriterThroughout = async () => {
    const verdict = await f.s.verdict({ states: [] } as unknown as LocalExecution);
    expect(verdict.rounds.length).toBeGreaterThan(0);
    expect(verdict.rounds.filter((r) => r.writable.length > 1)).toEqual([]);
  };
  /** The monitor running, and the record naming standby_az2 (the primary's `FIRST 1 (…)`) synchronous. */
  const startMonitor = async () => {
    monitor = new MonitorLoop(MONITOR_INTERVAL_MS);
    monitor.start();
    await waitFor('the record to name standby_az2 synchronous for the primary', async () => (await record())?.node === 'standby_az2', { timeoutMs: 30_000, intervalMs: 500 });
    return monitor;
  };
  const startMonitorAndClock = async () => {
    await startMonitor();
    clock = new CommitClock(f.s.appTarget('primary'));
    await clock.start();
    await waitFor('commits to flow', async () => clock!.ackedAt.length > 10, { timeoutMs: 10_000 });
  };
  const powerOn = async (name: string) => {
    const node = f.s.node(name);
    await new EC2Client({ region: node.region, endpoint: f.emulator() }).send(new StartInstancesCommand({ InstanceIds: [node.instanceId] }));
    await waitFor(`${name} to boot`, async () => {
      await f.bench.boot.settle();
      return f.bench.boot.boots.some((b) => b.node === name && (b.delivered !== null || b.error !== undefined));
    }, { timeoutMs: 60_000 });
  };

  it('on (defaults): commits resume after the synchronous standby is lost, none is recorded synchronous, and it is made synchronous again when it returns', async () => {
    await f.start();
    expect(f.bench.stack.cluster().policy).toMatchObject({ synchronousMode: 'on', syncLossSeconds: 10 });
    await startMonitorAndClock();

    await f.s.stopInstances('standby_az2');
    const lostAt = Date.now();
    // Commits stall on SyncRep until the monitor drops standby_az2; the fixed setting would stall them for good.
    await waitFor('commits to resume with standby_az2 powered off', async () => clock!.ackedSince(lostAt + 1000) > 5, { timeoutMs: 40_000, intervalMs: 200 });
    const gapMs = clock!.longestGapFrom(lostAt)!;
    // The figure the docs report; the bound is syncLossSeconds + one sample + the act, with room for a busy machine.
    console.info(`longest gap without a commit after the synchronous standby's loss: ${gapMs} ms`);
    expect(gapMs).toBeGreaterThanOrEqual(10_000);
    expect(await syncNames()).toBe('');
    const degraded = await record();
    expect(degraded).toMatchObject({ writer: 'primary', node: null, names: '' });
    expect(Date.parse(degraded!.since)).toBeGreaterThanOrEqual(lostAt);
    const [drop] = await repairs();
    expect(drop).toMatchObject({ outcome: 'repaired', from: 'standby_az2', to: null, target: 'primary synchronous_standby_names' });
    expect(drop!.reasons[0]).toMatch(/commits have waited \d+\.\d s on standby_az2/);

    await powerOn('standby_az2');
    await waitFor('standby_az2 synchronous again, recorded', async () => (await record())?.node === 'standby_az2', { timeoutMs: 60_000, intervalMs: 500 });
    expect(await syncNames()).toBe('FIRST 1 ("standby_az2")');
    // The monitor stores the change's receipt just after it updates the record.
    await waitFor('the restore receipt in the history', async () => (await repairs()).some((r) => r.to === 'standby_az2'), { timeoutMs: 10_000, intervalMs: 200 });
    const restore = (await repairs()).find((r) => r.to === 'standby_az2');
    expect(restore).toMatchObject({ outcome: 'repaired', from: null });
    expect(restore!.reasons.join(' ')).toMatch(/standby_az2 reports sync and holds every acknowledged commit/);
    expect(f.bench.machine.executions().size).toBe(0);
    expect(monitor!.errors).toEqual([]);
    await expectOneWriterThroughout();
  }, 240_000);

  it('after a switchover, the new writer names its in-region standby (the rejoined old primary) synchronous within 60 s, recorded', async () => {
    await f.start();
    await startMonitor();

    const receipt = (await localHandlers.switchover({ cluster: f.s.cluster().name, to: 'standby_az2', catchUpTimeoutSeconds: 10 })) as { outcome: string; oldPrimary: unknown };
    expect(receipt.outcome).toBe('switched');
    const switchedAt = Date.now();
    // The goal: no new writer left without a synchronous standby 60 s after one streams in its region.
    await waitFor('standby_az2 to name the rejoined primary synchronous, recorded', async () => (await record())?.writer === 'standby_az2' && (await record())?.node === 'primary', { timeoutMs: 60_000, intervalMs: 500 });
    console.info(`new writer's synchronous standby recorded ${Date.now() - switchedAt} ms after the switchover returned`);
    expect((await f.s.topology().query<{ s: string }>('standby_az2', "SELECT current_setting('synchronous_standby_names') AS s"))[0]?.s).toBe('FIRST 1 ("primary")');
    // The old writer names no standby any more.
    expect(await syncNames()).toBe('');
    expect(monitor!.errors).toEqual([]);
    await expectOneWriterThroughout();
  }, 240_000);

  it('a failover onto the recorded synchronous standby says in its receipt that no acknowledged commit is lost', async () => {
    await f.start();
    await startMonitor();
    await monitor!.stop();
    monitor = undefined;

    await f.s.stopInstances('primary');
    const execution = await f.s.failover();
    const receipt = f.s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2' });
    expect(receipt.dataLoss?.acknowledged).toMatchObject({ zeroLoss: true, detail: expect.stringMatching(/^standby_az2 was primary's synchronous standby \(recorded since .*\): it holds every commit primary acknowledged$/) });
    // No standby streams in the new writer's region (the old primary is fenced): none, recorded so.
    expect(receipt.synchronousStandbyNames).toBe('');
    expect(await record()).toMatchObject({ writer: 'standby_az2', node: null, names: '' });
    await f.expectNoSplitBrain(execution);
  }, 240_000);

  it('strict: never drops the lost synchronous standby, commits wait, the SyncRep wait alarm pages', async () => {
    await f.start({ mutate: (config) => void (config.clusters[0]!.policy.synchronousMode = 'strict') });
    await startMonitorAndClock();
    const alarm = alarmDefinitions(f.bench.stack.config, LOCAL_DEPLOYMENT.prefix).find((a) => a.kind === 'sync-rep-wait')!;
    const evaluator = new LocalAlarm(alarm, cloudWatchClient(f.bench.stack.config.controlRegion));

    await f.s.stopInstances('standby_az2');
    const lostAt = Date.now();
    await waitFor('the SyncRep wait alarm in ALARM', async () => (await evaluator.evaluate())?.to === 'ALARM' || evaluator.state === 'ALARM', { timeoutMs: 60_000, intervalMs: 1000 });
    expect(clock!.ackedSince(lostAt + 1000)).toBe(0);
    expect(await syncNames()).toBe('FIRST 1 ("standby_az2")');
    expect(await record()).toMatchObject({ writer: 'primary', node: 'standby_az2' });
    expect(await repairs()).toEqual([]);
    expect(monitor!.synchronous.some((o) => o.page !== null && /standby_az2 is lost .*strict mode keeps it: commits wait/.test(o.page))).toBe(true);

    // It returns: the waiting commits complete (nothing was acknowledged without it).
    await powerOn('standby_az2');
    await waitFor('commits to resume once standby_az2 streams again', async () => clock!.ackedSince(lostAt + 1000) > 5, { timeoutMs: 60_000, intervalMs: 500 });
    expect(f.bench.machine.executions().size).toBe(0);
    await expectOneWriterThroughout();
  }, 240_000);
});
