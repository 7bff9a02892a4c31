import { sampleAndPublish } from '../../functions/monitor/handler';
import { promoteCandidate } from '../../functions/failover/promote-candidate';
import { runSwitchover } from '../../functions/operators/switchover';
import { dynamoClient } from '../../shared/aws/clients/dynamodb';
import { ClusterRecordStore } from '../../shared/aws/cluster-record';
import { LeaseStore } from '../../shared/aws/lease';
import { nextRecord } from '../../shared/decisions/cluster-record';
import type { FailoverState } from '../../shared/workflow/state';
import { resetEmulator } from '../../local/emulator';
import { startFailoverBench, type FailoverBench } from '../../local/failover-bench';
import { LOCAL_DEPLOYMENT } from '../../local/local-stack';
import type { LocalExecution } from '../../local/state-machine';
import { AckedWriter } from '../../local/workload';
import { localHandlers } from '../../local/handlers';
import type { ClusterStatus } from '../../shared/operators/status';
import { scenario } from '../harness/scenario';

/**
 * Failovers one after another on the real topology, the configuration never edited: the control
 * plane finds the writer from its cluster record and the nodes, re-points the surviving standbys
 * after every promotion, and fences the writer that failed — not the one that failed before.
 */
describe('successive failovers without editing the configuration', () => {
  let bench: FailoverBench;
  let s: ReturnType<typeof scenario>;
  const emulator = () => process.env.AWS_ENDPOINT_URL_EMULATOR!;
  const records = () => new ClusterRecordStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);

  /** Cooldown off: the second fault comes right after the first failover. */
  const start = async () => {
    bench = await startFailoverBench({ mutate: (config) => (config.clusters[0]!.policy.cooldownSeconds = 0) });
    s = scenario(bench, emulator());
  };
  const expectNoSplitBrain = async (execution: LocalExecution) => {
    const verdict = await s.verdict(execution);
    expect(verdict.rounds.length).toBeGreaterThan(0);
    expect(verdict.twoWriters).toEqual([]);
    expect(verdict.publishedToNonWriter).toEqual([]);
  };
  /** Writes under monitoring (positions published as in production), then the writer's host dies. */
  const writeThenCrash = async (writer: AckedWriter, node: string, ms = 1500) => {
    await writer.start();
    const monitor = sampleAndPublish({ samples: Math.ceil(ms / 250), intervalMs: 250 });
    await new Promise((r) => setTimeout(r, ms));
    await s.stopInstances(node);
    await writer.stop();
    await monitor;
  };
  const streamsFrom = async (writer: string) =>
    (await s.topology().query<{ application_name: string }>(writer, "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'")).map((r) => r.application_name);
  const timelineOf = async (node: string) =>
    Number.parseInt((await s.topology().query<{ tli: string }>(node, 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli'))[0]!.tli, 16);

  beforeAll(() => {
    process.env.AWS_ENDPOINT_URL_EMULATOR = process.env.AWS_ENDPOINT_URL;
  });
  beforeEach(async () => resetEmulator(emulator()));
  afterEach(async () => {
    await s?.stopProbe();
    await bench?.teardown();
  });

  it('crash, then crash of the new writer: the DR promoted with every acknowledged row, the failed writer fenced', async () => {
    await start();
    s.startProbe();
    const first = s.writer('primary');
    await writeThenCrash(first, 'primary');

    const one = await s.failover();

    expect(one.status).toBe('SUCCEEDED');
    expect(s.receipt(one)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', previousPrimary: 'primary', timeline: 2 });
    expect(s.receipt(one).followers).toContainEqual(expect.objectContaining({ node: 'standby_dr', outcome: 'streaming' }));
    expect(await streamsFrom('standby_az2')).toEqual(['standby_dr']);
    await expectNoSplitBrain(one);

    // The application keeps writing on the new writer; then its host dies too.
    s.startProbe();
    const second = new AckedWriter(s.appTarget('standby_az2'), 500, 'pgfo_acked_after_first');
    await writeThenCrash(second, 'standby_az2');

    const two = await s.failover();

    expect(two.status).toBe('SUCCEEDED');
    const receipt = s.receipt(two);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr', previousPrimary: 'standby_az2', timeline: 3 });
    // The writer that failed is fenced, not the primary that had been dead since the first failover.
    expect(receipt.fencing).toMatchObject({ node: 'standby_az2', fenced: true });
    expect(await timelineOf('standby_dr')).toBe(3);
    // The DR streamed from the new writer: nothing acknowledged on the first writer (synchronous) is
    // missing; on the second (asynchronous to the DR) at most the writes in flight when its host died,
    // within the receipt's bound (each row carries 500 bytes of payload, its WAL more).
    const before = await first.lostOn(s.appTarget('standby_dr'));
    expect(before.acked).toBeGreaterThan(50);
    expect(before.lost).toBe(0);
    const after = await second.lostOn(s.appTarget('standby_dr'));
    expect(after.acked).toBeGreaterThan(50);
    const bound = receipt.dataLoss?.upperBoundBytes ?? receipt.dataLoss?.bytes ?? 0;
    expect(after.lost * 500).toBeLessThanOrEqual(bound);
    // No standby is left in reach: commits wait for none.
    expect(receipt.synchronousStandbyNames).toBe('');
    const record = await records().read(s.cluster().name);
    expect(record).toMatchObject({ writer: 'standby_dr', timeline: 3, lastIncident: { from: 'standby_az2', to: 'standby_dr', completed: true } });
    expect(Object.keys(record!.fenced).sort()).toEqual(['primary', 'standby_az2']);
    await expectNoSplitBrain(two);
    // Two crashes and two failovers, each host passing through its `stopping` phase.
  }, 120_000);

  it('switchover, then crash of the new writer: the read-only former primary is no writer and no candidate', async () => {
    await start();
    const switched = await runSwitchover({ cluster: s.cluster().name, to: 'standby_az2', catchUpTimeoutSeconds: 30 });
    expect(switched).toMatchObject({ outcome: 'switched', from: 'primary', timeline: 2 });
    expect(switched.followers).toContainEqual(expect.objectContaining({ node: 'standby_dr', outcome: 'streaming' }));
    expect(await streamsFrom('standby_az2')).toEqual(['standby_dr']);

    s.startProbe();
    const writer = s.writer('standby_az2');
    await writeThenCrash(writer, 'standby_az2');
    const execution = await s.failover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr', previousPrimary: 'standby_az2' });
    expect(receipt.reasons.join('\n')).toMatch(/primary is a read-only former primary, not a standby \(.+ behind the writer's last known position\): not a candidate/);
    expect(receipt.fencing).toMatchObject({ node: 'standby_az2', fenced: true });
    // The DR is asynchronous to the switched-to writer: at most the writes in flight when its host
    // died are missing, within the receipt's bound (each row carries 500 bytes of payload).
    const lost = await writer.lostOn(s.appTarget('standby_dr'));
    expect(lost.acked).toBeGreaterThan(50);
    expect(lost.lost * 500).toBeLessThanOrEqual(receipt.dataLoss?.upperBoundBytes ?? receipt.dataLoss?.bytes ?? 0);
    await expectNoSplitBrain(execution);
  });

  it('refuses to promote on a decision made from a record that changed since (generation check)', async () => {
    await start();
    await s.stopInstances('primary');
    const store = records();
    const seeded = await store.readOrSeed(s.cluster().name, 'primary');
    // Another actor (an operator, another execution) changes the record after the decision was made.
    await store.update(nextRecord(seeded, {}, 'someone else', new Date().toISOString()), seeded.generation);
    const state = {
      cluster: s.cluster().name,
      executionName: 'orders-manual-stale',
      mode: 'manual',
      acceptDataLoss: false,
      incident: { alarmName: 'test', at: new Date().toISOString(), reason: 'test' },
      policy: { recheckAfterSeconds: 1 },
      candidate: { promote: true, node: 'standby_az2', previousPrimary: 'primary', generation: seeded.generation, alreadyPrimary: false, reasons: [], lag: { bytes: 0, seconds: 0, basis: 'test', referenceLsn: 0, upperBoundBytes: null, upperBoundSeconds: null }, standbys: [], startedAt: '', endedAt: '', ms: 0 },
      fence: { node: 'primary', instanceId: s.node('primary').instanceId, fenced: true, proceed: true, instanceState: 'stopped', tagged: true, waitedMs: 0, reason: 'stopped', startedAt: '', endedAt: '', ms: 0 },
    } as FailoverState;
    // This execution holds the lease (so that the promotion is refused by the record, not by the lease).
    const lease = await new LeaseStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable).acquire(state.cluster, state.executionName, 'failover', 60, Date.now(), { ignoreCooldown: true });
    expect(lease.acquired).toBe(true);

    await expect(promoteCandidate(state)).rejects.toMatchObject({ name: 'RecordConflictError', message: expect.stringMatching(/generation 1, now 2/) });
    const [row] = await s.topology().query<{ r: boolean }>('standby_az2', 'SELECT pg_is_in_recovery() AS r');
    expect(row?.r).toBe(true);
    // And a stale write of the record itself is refused, not applied.
    await expect(store.update(nextRecord(seeded, { writer: 'standby_az2' }, 'stale', new Date().toISOString()), seeded.generation)).rejects.toMatchObject({ name: 'RecordConflictError' });
    expect((await store.read(s.cluster().name))?.writer).toBe('primary');
  });

  it('pause stops an automatic failover at the lease with who, since when and why; resume lets the next one through', async () => {
    await start();
    const paused = (await localHandlers.pause({ cluster: s.cluster().name, by: 'alice', reason: 'kernel upgrade' })) as { summary: string };
    expect(paused.summary).toMatch(/paused since .+, by alice, because kernel upgrade/);
    const status = (await localHandlers.status({ cluster: s.cluster().name })) as { clusters: ClusterStatus[] };
    expect(status.clusters[0]!.paused).toMatch(/by alice, because kernel upgrade/);
    s.startProbe();
    await s.stopInstances('primary');

    const blocked = await s.failover();

    expect(blocked.status).toBe('SUCCEEDED');
    expect(s.receipt(blocked)).toMatchObject({ outcome: 'paused', promoted: null });
    expect(s.receipt(blocked).reasons[0]).toMatch(/automatic failover paused since .+, by alice, because kernel upgrade/);
    expect(blocked.states.map((st) => st.name)).not.toContain('ConfirmOutage');
    const [row] = await s.topology().query<{ r: boolean }>('standby_az2', 'SELECT pg_is_in_recovery() AS r');
    expect(row?.r).toBe(true);

    await localHandlers.resume({ cluster: s.cluster().name, by: 'alice' });
    const next = await s.failover();

    expect(s.receipt(next)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', previousPrimary: 'primary' });
    await expectNoSplitBrain(next);
  });
});
