import { CreateTagsCommand, EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import type { FailoverBench } from '../../local/failover-bench';
import { localHandlers } from '../../local/handlers';
import { waitFor } from '../../local/wait';
import type { FailoverPlan } from '../../shared/operators/plan';
import type { SwitchoverReceipt } from '../../shared/operators/switchover';
import { failoverFixture, type Scenario } from '../harness/fixture';

/**
 * Failback on the real topology, a long multi-leg sequence (npm run test:drills): fail over, rejoin
 * both followers, switch back once plan --to reports the old primary ready, twice, with the split-brain
 * probe throughout. Moved here from the integration suite on rejoin; each rejoin path is proven
 * there once.
 */
describe('failback: A -> B -> A, twice, with rejoins between', () => {
  // No anti-flap window: the test fails over twice within a minute on purpose.
  const f = failoverFixture({ mutate: (config) => config.clusters.forEach((c) => (c.policy.cooldownSeconds = 0)) });
  let bench: FailoverBench;
  let s: Scenario;
  const { emulator } = f;
  beforeEach(() => ({ bench, s } = f));
  const inRecovery = async (node: string) => (await s.topology().query<{ r: boolean }>(node, 'SELECT pg_is_in_recovery() AS r'))[0]!.r;
  /** The writer's current timeline, from the name of the WAL file it writes (the checkpoint's may lag a promotion). */
  const timeline = async (node: string) =>
    Number((await s.topology().query<{ t: number }>(node, "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS t"))[0]!.t);
  /** `pgfo plan --cluster C --to NODE`: the operator Lambda, as the CLI calls it. */
  const planTo = (to: string) => localHandlers.plan({ cluster: s.cluster().name, to }) as Promise<FailoverPlan>;
  /** Until the writer reports `node` streaming and replayed up to the writer's position when asked. */
  const caughtUp = async (node: string, writer: string) => {
    const [{ lsn }] = (await s.topology().query<{ lsn: string }>(writer, 'SELECT pg_current_wal_lsn()::text AS lsn')) as [{ lsn: string }];
    await waitFor(`${node} to replay ${writer}'s WAL up to ${lsn}`, async () => {
      const rows = await s.topology().query<{ ok: boolean }>(
        writer,
        "SELECT state = 'streaming' AND replay_lsn >= $2::pg_lsn AS ok FROM pg_stat_replication WHERE application_name = $1",
        [node, lsn],
      );
      return rows.some((r) => r.ok);
    });
  };
  /** The node's WAL receiver stopped (primary_conninfo emptied, as a wrong edit or a lost setting would): it stays a standby on the writer's timeline. */
  const stopReceiver = async (node: string, writer: string) => {
    const [{ conninfo }] = (await s.topology().query<{ conninfo: string }>(node, "SELECT current_setting('primary_conninfo') AS conninfo")) as [{ conninfo: string }];
    await s.topology().query(node, "ALTER SYSTEM SET primary_conninfo = ''");
    await s.topology().query(node, 'SELECT pg_reload_conf()');
    await waitFor(`${writer} to lose ${node}'s replication connection`, async () =>
      (await s.topology().query(writer, 'SELECT 1 FROM pg_stat_replication WHERE application_name = $1', [node])).length === 0,
    );
    return async () => {
      await s.topology().query(node, `ALTER SYSTEM SET primary_conninfo = '${conninfo.replace(/'/g, "''")}'`);
      await s.topology().query(node, 'SELECT pg_reload_conf()');
    };
  };

  it('fails over, rejoins the old primary and the DR, switches back once plan --to reports it ready, without loss, the switchover rejoining the other; timelines only increase', async () => {
    const cluster = s.cluster().name;
    const timelines: number[] = [await timeline('primary')];
    for (let round = 1; round <= 2; round += 1) {
      const app = s.writer('primary');
      await app.start();
      await s.stopInstances('primary');
      const execution = await s.failover();
      await app.stop().catch(() => undefined);
      expect(s.receipt(execution)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2' });
      timelines.push(await timeline('standby_az2'));
      // Not ready for a failback: its instance is stopped (and the record fences it).
      const stopped = await planTo('primary');
      expect(stopped.primary).toBe('standby_az2');
      expect(stopped.candidate).toMatchObject({ promote: false, reason: expect.stringMatching(/primary does not answer/) });

      // The old primary comes back (its instance started: the host guard keeps it read-only), then both followers rejoin.
      await new EC2Client({ region: s.node('primary').region, endpoint: emulator() }).send(
        new CreateTagsCommand({ Resources: [s.node('primary').instanceId], Tags: [{ Key: 'pgfo:fenced', Value: execution.name }] }),
      );
      await new EC2Client({ region: s.node('primary').region, endpoint: emulator() }).send(new StartInstancesCommand({ InstanceIds: [s.node('primary').instanceId] }));
      expect(await waitForBoot(bench, 'primary', round)).toMatchObject({ guard: { madeStandby: true }, delivered: { verdict: { action: 'record' } } });
      // Running again, in recovery and answering like a standby, yet not rejoined: still not ready.
      expect(await inRecovery('primary')).toBe(true);
      const returned = await planTo('primary');
      expect(returned.candidate).toMatchObject({ promote: false, reason: expect.stringMatching(/primary is fenced \(/) });
      for (const node of ['primary', 'standby_dr']) {
        expect(await localHandlers.rejoin({ cluster, node })).toMatchObject({ outcome: 'rejoined', writer: 'standby_az2' });
      }
      if (round === 1) {
        // Rejoined and unfenced, on the writer's timeline, but its receiver stopped: not ready, and the
        // switchover agrees (it refuses and changes nothing).
        const restart = await stopReceiver('primary', 'standby_az2');
        const idle = await planTo('primary');
        expect(idle.candidate).toMatchObject({ promote: false, reason: expect.stringMatching(/^primary is not streaming from standby_az2/) });
        const refused = (await localHandlers.switchover({ cluster, to: 'primary' })) as { outcome: string; reasons: string[] };
        expect(refused).toMatchObject({ outcome: 'refused', reasons: [expect.stringMatching(/^primary is not streaming from standby_az2/)] });
        await restart();
      }
      await caughtUp('primary', 'standby_az2');
      const ready = await planTo('primary');
      expect(ready.candidate).toMatchObject({ promote: true, node: 'primary', alreadyPrimary: false });
      expect(ready.candidate.reasons.join('\n')).toContain(`primary streams from standby_az2 on timeline ${timelines.at(-1)}, `);
      // A plan is not a switchover: the writer answers, so nothing would fail over.
      expect(ready).toMatchObject({ primary: 'standby_az2', wouldFailOver: false });

      const back = s.writer('standby_az2');
      await back.start();
      const switched = (await localHandlers.switchover({ cluster, to: 'primary' })) as SwitchoverReceipt;
      await back.stop().catch(() => undefined);
      expect(switched.outcome).toBe('switched');
      expect((await back.lostOn(s.appTarget('primary'))).lost).toBe(0);
      timelines.push(await timeline('primary'));
      // The switchover rejoined the demoted writer: a standby of primary again, no rejoin by hand.
      expect(switched.oldPrimary).toMatchObject({ node: 'standby_az2', outcome: 'rejoined' });
      await s.topology().waitForStreaming('standby_az2').catch(() => undefined);
    }
    expect(timelines).toEqual([1, 2, 3, 4, 5]);
    const verdict = await s.verdict({ name: 'round-trip', status: 'SUCCEEDED', output: null, states: [] });
    expect(verdict.rounds.filter((r) => r.writable.length > 1)).toEqual([]);
  }, 600_000);
});

/** Waits until the local boot of `node`'s instance (the `round`-th) was handled. */
const waitForBoot = async (bench: FailoverBench, node: string, round: number) => {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    await bench.boot.settle();
    const boots = bench.boot.boots.filter((b) => b.node === node);
    if (boots.length >= round && (boots[round - 1]!.delivered !== null || boots[round - 1]!.error !== undefined)) return boots[round - 1]!;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`boot ${round} of ${node} was not handled within 90 s`);
};
