import { DescribeTagsCommand, EC2Client, CreateTagsCommand, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { GetDocumentCommand, ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { FailoverBench } from '../../local/failover-bench';
import { localHandlers } from '../../local/handlers';
import type { RejoinReceipt } from '../../shared/operators/rejoin';
import { REPLICATION_ROLE, REWIND_GRANTS } from '../../local/topology';
import { failoverFixture, type Scenario } from '../harness/fixture';
import { makeRejoin } from '../../functions/operators/rejoin';
import { localCommandRunner } from '../../local/run-command';
import { LOCAL_DEPLOYMENT } from '../../local/local-stack';
import { dynamoClient } from '../../shared/aws/clients/dynamodb';
import { LeaseStore } from '../../shared/aws/lease';

/**
 * `pgfo rejoin` on the real topology: the operator Lambda as deployed, the rejoin document (the
 * same one the deployment creates) run on the local node, a split-brain probe throughout.
 */
describe('rejoin a fenced or diverged node as a standby of the writer', () => {
  const f = failoverFixture({});
  let bench: FailoverBench;
  let s: Scenario;
  const { emulator } = f;
  beforeEach(() => ({ bench, s } = f));
  const rejoin = (request: Record<string, unknown>) => localHandlers.rejoin({ cluster: s.cluster().name, ...request }) as Promise<RejoinReceipt>;
  const inRecovery = async (node: string) => (await s.topology().query<{ r: boolean }>(node, 'SELECT pg_is_in_recovery() AS r'))[0]!.r;
  const ec2 = (node: string) => new EC2Client({ region: s.node(node).region, endpoint: emulator() });

  /** Primary crash and failover; returns the promoted node, with the old primary's instance stopped. */
  const failOver = async () => {
    const app = s.writer('primary');
    await app.start();
    await s.stopInstances('primary');
    const execution = await s.failover();
    await app.stop().catch(() => undefined);
    expect(s.receipt(execution).outcome).toBe('promoted');
    return { execution, writer: s.receipt(execution).promoted as string };
  };
  /** Someone starts the old primary's instance and PostgreSQL by hand, with no host guard. */
  const zombie = async () => {
    const old = s.node('primary');
    // Nothing tells the control plane (a node region whose EC2 events are not forwarded), and no host guard.
    bench.boot.undelivered('primary');
    bench.boot.withoutGuard('primary');
    await ec2('primary').send(new StartInstancesCommand({ InstanceIds: [old.instanceId] }));
    await s.topology().start('primary');
    // Its synchronous standby is gone: a commit waits for it forever, yet is already written locally.
    await s.topology().query('primary', 'SET synchronous_commit = local; CREATE TABLE zombie_only (id int); INSERT INTO zombie_only SELECT generate_series(1, 1000)');
  };
  const expectOneWriterThroughout = async (execution: Awaited<ReturnType<typeof failOver>>['execution']) => {
    const verdict = await s.verdict(execution);
    expect(verdict.rounds.length).toBeGreaterThan(0);
    // The zombie is a second writer until the rejoin stops it; after the rejoin, never again.
    // A round whose probe of the writer timed out on a busy machine shows no writer, which is not a second one.
    const last = verdict.rounds.slice(-3);
    expect(last.every((r) => r.writable.length <= 1)).toBe(true);
    expect(last.some((r) => r.writable.length === 1 && r.writable[0] === r.published)).toBe(true);
    return verdict;
  };

  it('rewinds a returned old primary with a divergent write: a dry run reports what is discarded, the rejoin discards it and the node streams', async () => {
    const { execution, writer } = await failOver();
    await zombie();
    await ec2('primary').send(new CreateTagsCommand({ Resources: [s.node('primary').instanceId], Tags: [{ Key: 'pgfo:fenced', Value: execution.name }] }));
    const afterFailover = s.writer(writer);
    await afterFailover.start();

    const dry = await rejoin({ node: 'primary', dryRun: true });
    expect(dry).toMatchObject({ outcome: 'dry-run', writer, method: 'rewind', nodeTimeline: 1, writerTimeline: 2 });
    expect(dry.discardedBytes).toBeGreaterThan(0);
    expect(dry.discardedCommits).toBeGreaterThanOrEqual(1); // the zombie's statements ran as one transaction
    expect(dry.reasons.join('\n')).toMatch(/a returned old primary/);
    expect(await inRecovery('primary')).toBe(false); // a dry run changes nothing

    const done = await rejoin({ node: 'primary' });
    await afterFailover.stop();
    expect(done).toMatchObject({ outcome: 'rejoined', writer, method: 'rewind', forkLsn: dry.forkLsn });
    // The zombie kept writing WAL of its own (checkpoints, the probe's sessions) after the dry run.
    expect(done.discardedBytes).toBeGreaterThanOrEqual(dry.discardedBytes!);
    expect(done.reasons.at(-1)).toBe(`primary streams from ${writer} (rewind) on timeline 2`);
    expect(await inRecovery('primary')).toBe(true);
    expect((await s.topology().query('primary', "SELECT to_regclass('zombie_only') AS t"))[0]).toEqual({ t: null });
    // Everything the new writer acknowledged reaches the rejoined node; the fenced tag is gone.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await afterFailover.lostOn(s.appTarget('primary'))).lost).toBe(0);
    const tags = await ec2('primary').send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [s.node('primary').instanceId] }] }));
    expect(tags.Tags?.map((t) => t.Key)).not.toContain('pgfo:fenced');
    // The document was copied to the node's region (documents are regional) and the command sent there.
    const regional = new SSMClient({ region: s.node('primary').region, endpoint: emulator() });
    const control = new SSMClient({ region: bench.stack.config.controlRegion, endpoint: emulator() });
    const copied = (await regional.send(new GetDocumentCommand({ Name: 'pgfo-local-rejoin' }))).Content;
    expect(copied).toBe((await control.send(new GetDocumentCommand({ Name: 'pgfo-local-rejoin' }))).Content);
    expect((await regional.send(new ListCommandsCommand({}))).Commands?.length).toBe(2);
    await expectOneWriterThroughout(execution);
  }, 240_000);

  it('falls back to a base backup when pg_rewind cannot work (the writer refuses its file functions)', async () => {
    const { execution, writer } = await failOver();
    await zombie();
    for (const grant of REWIND_GRANTS.filter((g) => g.includes('FUNCTION'))) {
      await s.topology().query(writer, `${grant.replace('GRANT', 'REVOKE')} FROM ${REPLICATION_ROLE}`);
    }
    const done = await rejoin({ node: 'primary' });
    expect(done).toMatchObject({ outcome: 'rejoined', writer, method: 'basebackup' });
    expect(await inRecovery('primary')).toBe(true);
    expect((await s.topology().query('primary', "SELECT to_regclass('zombie_only') AS t"))[0]).toEqual({ t: null });
    await expectOneWriterThroughout(execution);
  }, 240_000);

  it('falls back to a base backup when the writer has recycled the WAL since the fork (pg_rewind succeeds, the node cannot replay)', async () => {
    const { execution, writer } = await failOver();
    await zombie();
    // More WAL than wal_keep_size keeps (the topology's 32 MB) on the new writer, then checkpoints:
    // the segment holding the fork is gone from its pg_wal, and no slot holds it.
    const fork = (await s.topology().query<{ segment: string }>(writer, 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS segment'))[0]!.segment;
    for (let i = 0; i < 40; i += 1) await s.topology().query(writer, 'SELECT pg_switch_wal(); CREATE TEMP TABLE IF NOT EXISTS filler (x int); INSERT INTO filler VALUES (1)');
    await s.topology().query(writer, 'CHECKPOINT; CHECKPOINT');
    const left = await s.topology().query<{ name: string }>(writer, 'SELECT name FROM pg_ls_waldir() WHERE name = $1', [fork]);
    expect(left).toEqual([]);

    const done = await rejoin({ node: 'primary' });
    expect(done).toMatchObject({ outcome: 'rejoined', writer, method: 'basebackup' });
    expect(done.reasons.join('\n')).toContain('pg_rewind was not enough (the writer no longer has the WAL since the fork): fell back to a fresh base backup');
    expect(await inRecovery('primary')).toBe(true);
    expect((await s.topology().query('primary', "SELECT to_regclass('zombie_only') AS t"))[0]).toEqual({ t: null });
    await expectOneWriterThroughout(execution);
  }, 300_000);

  it('stops a rejoin whose lease was taken over while its command ran: the node stays tagged fenced and the other holder keeps the lease', async () => {
    const { execution } = await failOver();
    await zombie();
    await ec2('primary').send(new CreateTagsCommand({ Resources: [s.node('primary').instanceId], Tags: [{ Key: 'pgfo:fenced', Value: execution.name }] }));
    const store = new LeaseStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
    const local = localCommandRunner();
    // While the document runs, the rejoin's lease is taken over as if it had expired.
    const runner: typeof local = async (...args) => {
      expect((await store.acquire('orders', 'orders-alarm-20261206080000000', 'failover', 600, Date.now() + 3_600_000)).acquired).toBe(true);
      return local(...args);
    };

    await expect(makeRejoin(runner)({ cluster: 'orders', node: 'primary', dryRun: false, mode: 'auto' })).rejects.toMatchObject({
      name: 'LeaseLostError',
      message: expect.stringMatching(/^rejoin unfence: execution rejoin-orders-\d+ no longer holds the lease of orders/),
    });

    const tags = await ec2('primary').send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [s.node('primary').instanceId] }] }));
    expect(tags.Tags?.map((t) => t.Key)).toContain('pgfo:fenced');
    expect(await store.read('orders')).toMatchObject({ holder: 'orders-alarm-20261206080000000', kind: 'failover' });
    await expectOneWriterThroughout(execution);
  }, 240_000);

  it('refuses the writer itself, an unknown node, and changes nothing', async () => {
    const { execution, writer } = await failOver();
    const refused = await rejoin({ node: writer });
    expect(refused).toMatchObject({ outcome: 'refused', reasons: [`${writer} is the cluster's writer: rejoin is for a fenced or diverged node`] });
    expect(await inRecovery(writer)).toBe(false);
    await expect(rejoin({ node: 'nope' })).rejects.toThrow('node: cluster orders has no node "nope"');
    // Run Command reaches only running instances: the fenced old primary's is stopped.
    expect(await rejoin({ node: 'primary' })).toMatchObject({ outcome: 'refused', reasons: [expect.stringMatching(/^primary's instance is stopped: start it first/)] });
    await expectOneWriterThroughout(execution);
  }, 240_000);
});
