import { CreateTagsCommand, DescribeTagsCommand, EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import type { FailoverBench } from '../../local/failover-bench';
import { localHandlers } from '../../local/handlers';
import { waitFor } from '../../local/wait';
import type { HistoryEntry } from '../../shared/operators/history';
import type { ReturnedNodeReceipt } from '../../shared/operators/returned-node';
import { failoverFixture, type Scenario } from '../harness/fixture';

/**
 * A fenced node's instance is started again (an operator, an auto-recovery, the region coming back):
 * the host guard and the control plane keep it from being a second writer. Split-brain probe throughout.
 */
describe('a fenced node comes back', () => {
  const f = failoverFixture({});
  let bench: FailoverBench;
  let s: Scenario;
  const { emulator } = f;
  beforeEach(() => ({ bench, s } = f));
  const ec2 = () => new EC2Client({ region: s.node('primary').region, endpoint: emulator() });
  const instance = () => s.node('primary').instanceId;

  /** Crash the primary, fail over, mark its instance fenced as the fence does; returns the execution. */
  const failOverAndFence = async () => {
    await s.stopInstances('primary');
    const execution = await s.failover();
    expect(s.receipt(execution).outcome).toBe('promoted');
    await ec2().send(new CreateTagsCommand({ Resources: [instance()], Tags: [{ Key: 'pgfo:fenced', Value: execution.name }] }));
    return execution;
  };
  const startInstance = async () => {
    await ec2().send(new StartInstancesCommand({ InstanceIds: [instance()] }));
    await waitFor('the boot of the returned instance to be handled', async () => {
      await bench.boot.settle();
      return bench.boot.boots.some((b) => b.node === 'primary' && (b.delivered !== null || b.error !== undefined));
    }, { timeoutMs: 90_000 });
    return bench.boot.boots.find((b) => b.node === 'primary')!;
  };
  const history = async () => ((await localHandlers.history({ cluster: s.cluster().name })) as { entries: HistoryEntry[] }).entries;

  it('with the host guard: it starts read-only, never a writer, and is recorded as needing a rejoin', async () => {
    const execution = await failOverAndFence();
    const boot = await startInstance();
    expect(boot.error).toBeUndefined();
    expect(boot.guard?.madeStandby).toBe(true);
    const receipt = boot.delivered as ReturnedNodeReceipt;
    expect(receipt.verdict.action).toBe('record');
    expect(receipt.verdict.reason).toMatch(/primary was fenced \(.*\) and came back; it is in recovery \(read-only\): it needs a rejoin/);
    expect((await history()).find((e) => e.kind === 'failover' && e.from === 'primary' && e.to === null)).toBeUndefined();
    expect((await history()).some((e) => e.receipt.kind === 'node-returned' && e.from === 'primary' && e.outcome === 'record')).toBe(true);
    const verdict = await s.verdict(execution);
    expect(verdict.rounds.length).toBeGreaterThan(0);
    expect(verdict.twoWriters).toEqual([]);
    expect(verdict.rounds.every((r) => r.writable.length <= 1)).toBe(true);
  }, 240_000);

  it('without the guard it comes up writable: the control plane fences it again at once', async () => {
    const execution = await failOverAndFence();
    bench.boot.withoutGuard('primary');
    const boot = await startInstance();
    const receipt = boot.delivered as ReturnedNodeReceipt;
    expect(receipt.observed).toEqual({ inRecovery: false, readOnly: false });
    expect(receipt.verdict.action).toBe('fence-again');
    expect(receipt.actions[0]).toBe('tagged pgfo:fenced');
    await bench.power.settle();
    const stoppedAt = Date.now();
    expect(s.topology().isRunning('primary')).toBe(false);
    const tags = await ec2().send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instance()] }] }));
    expect(tags.Tags?.find((t) => t.Key === 'pgfo:fenced')?.Value).toBe(execution.name);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a few probe rounds after the stop
    const verdict = await s.verdict(execution);
    // Writable from its start until the control plane stopped it again (the window the host guard
    // closes); the published endpoints never led to it; once fenced again, one writer.
    const refencedAt = Date.parse(receipt.at) + 5000;
    expect(verdict.twoWriters.filter((r) => r.at > refencedAt)).toEqual([]);
    const repointedAt = execution.states.find((st) => st.name === 'RewriteDatabaseUrl')!.endMs!;
    expect(verdict.rounds.filter((r) => r.at >= repointedAt && r.published === 'primary')).toEqual([]);
    // The rounds begun after the stop: never two writers, and the published node the one writer (a
    // round whose probe of it timed out on a busy machine shows none, which is not a second writer).
    const after = verdict.rounds.filter((r) => r.at > stoppedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.writable.length <= 1)).toBe(true);
    expect(after.some((r) => r.writable.length === 1 && r.writable[0] === r.published)).toBe(true);
  }, 240_000);
});
