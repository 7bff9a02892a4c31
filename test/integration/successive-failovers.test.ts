import { sampleAndPublish } from '../../functions/monitor/handler';
import { promoteCandidate } from '../../functions/failover/promote-candidate';
import type { SwitchoverReceipt } from '../../shared/operators/switchover';
import { dynamoClient } from '../../shared/aws/clients/dynamodb';
import { ClusterRecordStore } from '../../shared/aws/cluster-record';
import { LeaseStore } from '../../shared/aws/lease';
import { withStackRegion } from '../../shared/config/stack-region';
import { nextRecord } from '../../shared/decisions/cluster-record';
import type { FailoverState } from '../../shared/workflow/state';
import type { FailoverBench } from '../../local/failover-bench';
import { LOCAL_DEPLOYMENT } from '../../local/local-stack';
import { localHandlers } from '../../local/handlers';
import type { ClusterStatus } from '../../shared/operators/status';
import type { ResolveResult } from '../../shared/operators/resolve';
import { nextSecond, readMetric } from '../../local/cloudwatch-readback';
import { anExecution } from '../fixtures/decisions';
import { failoverFixture, type Scenario } from '../harness/fixture';
import { noCooldown, successiveHelpers } from '../harness/successive';

/**
 * Failovers one after another on the real topology, the configuration never edited: the control
 * plane finds the writer from its cluster record and the nodes, re-points the surviving standbys
 * after every promotion, and fences the writer that failed — not the one that failed before.
 * Two failovers in a row under load (crash then crash, in-region then region outage) are long
 * sequences: they run with the drills (test/drills/successive-failovers.test.ts).
 */
describe('successive failovers without editing the configuration', () => {
  // Cooldown off: the second fault comes right after the first failover.
  const f = failoverFixture();
  let bench: FailoverBench;
  let s: Scenario;
  const { expectNoSplitBrain } = f;
  const start = async () => ({ bench, s } = await f.start({ probe: false, mutate: noCooldown }));
  const records = () => new ClusterRecordStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
  const { writeThenCrash, streamsFrom } = successiveHelpers(() => s);

  it('the DR as the writer crashes: the stack in its region stays passive (trigger and lease), the stack in us-east-2 fails it over', async () => {
    await start();
    const moved = await s.manualFailover({ to: 'standby_dr', reason: 'the writer moves to the DR region' });
    expect(s.receipt(moved)).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr' });
    expect(await records().read(s.cluster().name)).toMatchObject({ writer: 'standby_dr' });
    s.startProbe();
    // Each stack's monitor publishes the writer's positions in its own region (the lag guard of the
    // stack that fails over reads them there).
    await sampleAndPublish({ samples: 1 });
    await withStackRegion('us-east-2', () => sampleAndPublish({ samples: 1 }));
    await s.stopInstances('standby_dr');

    // The home stack (us-west-2) shares the writer's region: its trigger starts nothing...
    const passiveReason = 'orders: the stack in us-west-2 is passive (recorded writer standby_dr is in us-west-2, the same region): us-east-2 arbitrates';
    await expect(bench.alarm(new Date(Date.now() + 30_000))).resolves.toEqual({ started: false, reason: passiveReason });
    // ...and an execution that reaches it all the same (an event in flight) stops at the lease, taking nothing.
    const stray = 'orders-passive-stray';
    bench.machine.start(stray, anExecution({ executionName: stray }));
    const strayReceipt = s.receipt(await bench.execution(stray));
    expect(strayReceipt).toMatchObject({ outcome: 'passive', promoted: null });
    expect(strayReceipt.reasons).toContain(passiveReason);

    const execution = await s.failover({ region: 'us-east-2' });
    expect({ status: execution.status, error: execution.error, cause: execution.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    expect(s.receipt(execution)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', previousPrimary: 'standby_dr' });
    expect(s.receipt(execution).fencing).toMatchObject({ node: 'standby_dr', fenced: true });
    expect(bench.machine.executions().has(execution.name)).toBe(false);
    expect(await records().read(s.cluster().name)).toMatchObject({ writer: 'standby_az2' });
    await expectNoSplitBrain(execution);
  });

  it('a standby that received WAL past the fork cannot follow the new writer: reported as diverged, left a standby, not promoted', async () => {
    await start();
    const q = (node: string, sql: string) => s.topology().query(node, sql);
    // The in-region standby stops receiving (commits no longer wait for it); the DR goes on, so it
    // holds WAL of timeline 1 that the in-region standby never had.
    await q('primary', "ALTER SYSTEM SET synchronous_standby_names = ''");
    await q('primary', 'SELECT pg_reload_conf()');
    await q('standby_az2', "ALTER SYSTEM SET primary_conninfo = ''");
    await q('standby_az2', 'SELECT pg_reload_conf()');
    await q('primary', 'CREATE TABLE past_the_fork (id int)');
    await q('primary', 'INSERT INTO past_the_fork SELECT generate_series(1, 20)');
    await q('primary', 'SELECT pg_switch_wal()');
    const received = async (node: string) =>
      Number((await s.topology().query<{ lsn: string }>(node, "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0') AS lsn"))[0]!.lsn);
    const deadline = Date.now() + 10000;
    while ((await received('standby_dr')) <= (await received('standby_az2')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await received('standby_dr')).toBeGreaterThan(await received('standby_az2'));
    s.startProbe();
    await sampleAndPublish({ samples: 1 });
    await s.stopInstances('primary');

    const execution = await s.failover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', timeline: 2 });
    const dr = receipt.followers.find((f) => f.node === 'standby_dr');
    expect(dr).toMatchObject({ outcome: 'diverged', repointed: false });
    expect(dr?.detail).toMatch(/past where standby_az2's timeline 2 forked off .*cannot follow without pg_rewind or a new base backup/);
    const [row] = await s.topology().query<{ r: boolean }>('standby_dr', 'SELECT pg_is_in_recovery() AS r');
    expect(row?.r).toBe(true);
    expect(await streamsFrom('standby_az2')).toEqual([]);
    await expectNoSplitBrain(execution);
  });

  it('switchover keeping the old primary aside, then crash of the new writer: the read-only former primary is no writer and no candidate', async () => {
    await start();
    const switched = (await localHandlers.switchover({ cluster: s.cluster().name, to: 'standby_az2', catchUpTimeoutSeconds: 30, noRejoin: true })) as SwitchoverReceipt;
    expect(switched).toMatchObject({ outcome: 'switched', from: 'primary', timeline: 2 });
    expect(switched.followers).toContainEqual(expect.objectContaining({ node: 'standby_dr', outcome: 'streaming' }));
    // The DR cascaded from the target before the promotion: WAL the read-only old primary wrote later
    // (a standby snapshot, a checkpoint) never reached it, so it is not past the fork.
    expect(switched.reasons).toContainEqual(expect.stringMatching(/^before the promotion, standby_dr streams from standby_az2/));
    expect(await streamsFrom('standby_az2')).toEqual(['standby_dr']);

    s.startProbe();
    const writer = s.writer('standby_az2');
    await writeThenCrash(writer, 'standby_az2');
    const execution = await s.failover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr', previousPrimary: 'standby_az2' });
    expect(receipt.reasons.join('\n')).toMatch(/primary is a read-only former primary, not a standby \(.+ behind the writer's last known position by position alone, which does not compare across histories\): not a candidate/);
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

  it('a contradiction blocks the failover until an operator resolves it: resolve records the one observed writer', async () => {
    await start();
    const store = records();
    const cluster = s.cluster().name;
    // The record fenced the node that writes (an incident the operator has since repaired by hand).
    const seeded = await store.readOrSeed(cluster, 'primary');
    const at = new Date().toISOString();
    await store.update(nextRecord(seeded, { timeline: 1, fenced: { primary: { reason: 'test: fenced by an earlier incident', confirmed: true, at, by: 'test' } } }, 'test', at), seeded.generation);
    const status = async () => ((await localHandlers.status({ cluster })) as { clusters: ClusterStatus[] }).clusters[0]!;
    expect((await status()).contradictions).toEqual([expect.stringMatching(/primary accepts writes but the record fenced it .*test: fenced by an earlier incident/)]);
    s.startProbe();
    const refused = await s.failover();
    expect(s.receipt(refused)).toMatchObject({ promoted: null });
    expect(s.receipt(refused).reasons.join('\n')).toMatch(/contradictory: .*record fenced it.*pgfo resolve --writer NODE/);
    await expectNoSplitBrain(refused);

    // Only the node observed writing can be recorded, and only with a reason.
    const notWriter = (await localHandlers.resolve({ cluster, writer: 'standby_az2', by: 'alice', reason: 'test' })) as ResolveResult;
    expect(notWriter).toMatchObject({ outcome: 'refused', reasons: [expect.stringMatching(/standby_az2 is a standby/)] });
    await expect(localHandlers.resolve({ cluster, writer: 'primary', by: 'alice' })).rejects.toMatchObject({ name: 'InvalidInputError', message: expect.stringMatching(/reason/) });
    const resolved = (await localHandlers.resolve({ cluster, writer: 'primary', by: 'alice', reason: 'the fence was a mistake' })) as ResolveResult;
    expect(resolved).toMatchObject({ outcome: 'resolved', writer: 'primary', timeline: 1, generation: seeded.generation + 2 });
    expect(await store.read(cluster)).toMatchObject({ fenced: {}, updatedBy: 'alice (resolve: the fence was a mistake)' });
    expect((await status()).contradictions).toEqual([]);
    expect(((await localHandlers.resolve({ cluster, writer: 'primary', by: 'alice', reason: 'again' })) as ResolveResult).outcome).toBe('unchanged');
  });

  it('pause stops an automatic failover at the lease with who, since when and why; resume lets the next one through', async () => {
    await start();
    const paused = (await localHandlers.pause({ cluster: s.cluster().name, by: 'alice', reason: 'kernel upgrade' })) as { summary: string };
    expect(paused.summary).toMatch(/paused since .+, by alice, because kernel upgrade/);
    const status = (await localHandlers.status({ cluster: s.cluster().name })) as { clusters: ClusterStatus[] };
    expect(status.clusters[0]!.paused).toMatch(/by alice, because kernel upgrade/);
    // The monitor publishes it from the record, for the dashboard.
    const pausedFlag = async () => {
      const since = await nextSecond();
      await sampleAndPublish({ samples: 1 });
      return readMetric(bench.stack.config.controlRegion, bench.stack.config.namespace, 'FailoverPaused', { Cluster: s.cluster().name }, since);
    };
    expect(await pausedFlag()).toEqual([1]);
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
    expect(await pausedFlag()).toEqual([0]);
    const next = await s.failover();

    expect(s.receipt(next)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', previousPrimary: 'primary' });
    await expectNoSplitBrain(next);
  });
});
