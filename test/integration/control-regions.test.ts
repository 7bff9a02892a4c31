import type { FailoverBench } from '../../local/failover-bench';
import type { LocalControlStack } from '../../local/control-stack';
import type { LocalExecution } from '../../local/state-machine';
import { runSwitchover } from '../../drill/switchover';
import type { Receipt } from '../../shared/decisions/receipt';
import { failoverIncident } from '../../shared/decisions/trigger';
import { failoverFixture, type Scenario } from '../harness/fixture';

/**
 * Two control planes, one per control region (us-west-2, the home, and us-east-2), on one store
 * (local/store-network.ts: each stack's calls on its own region's path): how they hand a cluster
 * over between them. The split-brain probe runs throughout every test.
 */
describe('control regions: two stacks, one writer', () => {
  const f = failoverFixture({ agents: true });
  let bench: FailoverBench;
  let s: Scenario;
  let west: LocalControlStack;
  let east: LocalControlStack;
  beforeEach(() => {
    ({ bench, s } = f);
    west = bench.stackIn('us-west-2');
    east = bench.stackIn('us-east-2');
  });
  const cluster = () => s.cluster().name;
  const run = (stack: LocalControlStack, name: string) => stack.machine.executions().get(name)!;
  const receiptOf = (execution: LocalExecution) => execution.output as Receipt;
  const recovering = async (node: string) => (await s.topology().query<{ r: boolean }>(node, 'SELECT pg_is_in_recovery() AS r'))[0]!.r;

  it('writer in us-east-1, both stacks alarmed at once: exactly one execution takes the lease and promotes, the other ends lease-held; one writer throughout', async () => {
    await s.stopInstances('primary');
    const at = new Date(Date.now() + 60_000);

    const [w, e] = await Promise.all([west.alarm(cluster(), at), east.alarm(cluster(), at)]);

    expect(w.started && e.started).toBe(true);
    const executions = await Promise.all([run(west, w.executionName!), run(east, e.executionName!)]);
    const receipts = executions.map(receiptOf);
    expect(receipts.map((r) => r.stackRegion)).toEqual(['us-west-2', 'us-east-2']);
    expect(receipts.map((r) => r.outcome).sort()).toEqual(['lease-held', 'promoted']);
    const acted = executions[receipts.findIndex((r) => r.outcome === 'promoted')]!;
    expect(receiptOf(acted)).toMatchObject({ promoted: 'standby_az2', previousPrimary: 'primary' });
    // Only the acting execution ran past the lease.
    const held = executions.find((x) => x !== acted)!;
    expect(held.states.map((st) => st.name)).not.toContain('PromoteCandidate');
    await f.expectNoSplitBrain(acted);
  }, 120_000);

  it("the DR the writer: the us-west-2 stack is passive (its trigger starts nothing, its lease step says passive) and the us-east-2 stack fails it over to us-east-1", async () => {
    const moved = await runSwitchover({ cluster: cluster(), to: 'standby_dr' });
    expect(moved.outcome).toBe('switched');
    // The acting stack's monitor publishes the writer's position in its region (the lag guard's reference).
    await east.handlers.monitor({ intervalMs: 200 });
    await s.stopInstances('standby_dr');
    const at = new Date(Date.now() + 60_000);

    const passive = await west.alarm(cluster(), at);
    // The lease step's own gate, behind the trigger's: an execution started on the passive stack anyway (a retried event, a redrive).
    const incident = failoverIncident(s.cluster(), west.failoverAlarm(cluster()).alarmName, new Date(at.getTime() - 1000).toISOString(), 'test');
    const gated = await west.machine.start(incident.executionName, incident.input).execution;
    const acting = await east.alarm(cluster(), at);

    expect(passive).toMatchObject({ started: false, reason: expect.stringMatching(/passive|us-west-2/) });
    expect(receiptOf(gated)).toMatchObject({ outcome: 'passive', stackRegion: 'us-west-2', promoted: null });
    expect(acting.started).toBe(true);
    const execution = await run(east, acting.executionName!);
    expect(receiptOf(execution)).toMatchObject({ outcome: 'promoted', stackRegion: 'us-east-2', previousPrimary: 'standby_dr' });
    expect(['primary', 'standby_az2']).toContain(receiptOf(execution).promoted);
    await f.expectNoSplitBrain(execution);
  }, 180_000);

  it('a stack cut off from the store does not act (fail closed); the other stack, which reaches it, fails over', async () => {
    await s.stopInstances('primary');
    bench.store!.isolate('us-east-2');
    const at = new Date(Date.now() + 60_000);

    const cut = await east.alarm(cluster(), at);
    const cutRun = await run(east, cut.executionName!);

    // It cannot read the record, so its trigger leaves the decision to the lease step, which cannot take the lease: it fails there.
    expect(cut.started).toBe(true);
    expect(cutRun).toMatchObject({ status: 'FAILED', error: 'AwsTransientError' });
    expect(cutRun.cause).toMatch(/dynamodb:/);
    expect(cutRun.states.map((st) => st.name)).toEqual(['AcquireLease', 'RecordFailure', 'ReleaseLeaseAfterFailure', 'FailoverFailed']);
    expect(await recovering('standby_az2')).toBe(true);
    expect(await recovering('standby_dr')).toBe(true);

    const acting = await west.alarm(cluster(), new Date(at.getTime() + 60_000));
    const execution = await run(west, acting.executionName!);
    expect(receiptOf(execution)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', stackRegion: 'us-west-2' });
    await f.expectNoSplitBrain(execution);
  }, 120_000);
});
