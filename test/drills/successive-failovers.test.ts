import { dynamoClient } from '../../shared/aws/clients/dynamodb';
import { ClusterRecordStore } from '../../shared/aws/cluster-record';
import type { FailoverBench } from '../../local/failover-bench';
import { LOCAL_DEPLOYMENT } from '../../local/local-stack';
import { AckedWriter } from '../../local/workload';
import { failoverFixture, type Scenario } from '../harness/fixture';
import { noCooldown, successiveHelpers } from '../harness/successive';

/**
 * Two failovers in a row on one stack under load, the configuration never edited (npm run
 * test:drills): the second fails over from the writer the first promoted, fences that writer and
 * loses no row the first writer acknowledged. Moved from test/integration/successive-failovers.test.ts,
 * which proves the single-step properties (divergence, generation check, resolve, pause).
 */
describe('successive failovers under load', () => {
  const f = failoverFixture({ probe: false, mutate: noCooldown });
  let bench: FailoverBench;
  let s: Scenario;
  const { expectNoSplitBrain } = f;
  beforeEach(() => ({ bench, s } = f));
  const records = () => new ClusterRecordStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
  const { writeThenCrash, monitorUntilStopped, expectDrTookOverFrom, streamsFrom } = successiveHelpers(() => s);

  it('crash, then crash of the new writer: the DR promoted with every acknowledged row, the failed writer fenced', async () => {
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

    // The writer that failed is fenced, not the primary that had been dead since the first failover.
    const receipt = await expectDrTookOverFrom(two, 'standby_az2', second);
    // The DR streamed from the new writer: nothing acknowledged on the first writer (synchronous) is missing.
    const before = await first.lostOn(s.appTarget('standby_dr'));
    expect(before.acked).toBeGreaterThan(50);
    expect(before.lost).toBe(0);
    // No standby is left in reach: commits wait for none.
    expect(receipt.synchronousStandbyNames).toBe('');
    const record = await records().read(s.cluster().name);
    expect(record).toMatchObject({ writer: 'standby_dr', timeline: 3, lastIncident: { from: 'standby_az2', to: 'standby_dr', completed: true } });
    expect(Object.keys(record!.fenced).sort()).toEqual(['primary', 'standby_az2']);
    await expectNoSplitBrain(two);
    // Two crashes and two failovers, each host passing through its `stopping` phase.
  }, 120_000);

  it('in-region failover, then an outage of that region: the DR promoted from the new writer, the failed writer fenced', async () => {
    s.startProbe();
    const first = s.writer('primary');
    await writeThenCrash(first, 'primary');
    const one = await s.failover();
    expect(s.receipt(one)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', timeline: 2 });
    await expectNoSplitBrain(one);

    // The application writes on the new writer; then its whole region goes: the host and every path out.
    s.startProbe();
    const second = new AckedWriter(s.appTarget('standby_az2'), 500, 'pgfo_acked_after_first');
    await second.start();
    const monitor = monitorUntilStopped();
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.topology().cutRegion(s.node('standby_az2').region)).not.toEqual([]);
    await s.stopInstances('standby_az2');
    await second.stop();
    await monitor();

    const two = await s.failover();

    await expectDrTookOverFrom(two, 'standby_az2', second);
    expect((await first.lostOn(s.appTarget('standby_dr'))).lost).toBe(0);
    expect(await records().read(s.cluster().name)).toMatchObject({ writer: 'standby_dr', timeline: 3 });
    await expectNoSplitBrain(two);
  });
});
