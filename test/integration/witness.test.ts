import { EC2Client } from '@aws-sdk/client-ec2';
import { sampleAndPublish } from '../../functions/monitor/handler';
import { cutControlPaths } from '../../local/control-paths';
import { calls } from '../../local/fault-proxy';
import { instanceState, instanceTags } from '../../shared/aws/ec2';
import { failoverFixture } from '../harness/fixture';

/**
 * The witness: a second vantage point (witnessRegion) that a cross-region promotion needs to agree,
 * and that fences when the control plane cannot reach the EC2 API but it can. The split-brain probe
 * runs throughout every test (the fixture starts it).
 */
describe('witness: a second vantage point before a cross-region promotion', () => {
  const f = failoverFixture({});
  const { emulator, expectNoSplitBrain } = f;

  /** A region outage: the DR link cut, the primary region's instances stopped (EC2 says so to everyone). */
  const loseThePrimaryRegion = async () => {
    // The monitor has published the writer's position (the lag guard's independent reference).
    await sampleAndPublish({ samples: 3, intervalMs: 200 });
    f.s.topology().links.standby_dr!.cut('reset');
    await f.s.stopInstances('primary', 'standby_az2');
  };

  it('control region cut off from a healthy primary region (database links and EC2 API): the witness sees it alive, nothing promoted, the application keeps writing', async () => {
    const { bench, s } = f;
    const writer = s.writer('primary');
    await writer.start();
    // Every path from the control region into us-east-1: the EC2 API (connections reset on the
    // control plane's proxy only), the control plane's database sessions, and replication to the DR
    // (in the control region). The witness's paths are untouched.
    bench.faults.fail({ match: calls.ec2In('us-east-1'), status: 'reset', times: Infinity });
    const cut = await cutControlPaths(bench.stack, 'orders', [s.node('primary'), s.node('standby_az2')]);
    s.topology().links.standby_dr!.cut('reset');
    const before = writer.acked.length;

    const execution = await s.failover();

    const during = writer.acked.length;
    await new Promise((r) => setTimeout(r, 500));
    await writer.stop();
    await cut.restore();
    const receipt = s.receipt(execution);
    expect(receipt.promoted).toBeNull();
    expect(receipt.outcome).toBe('refused');
    expect(execution.output).toBeDefined();
    const reasons = receipt.reasons.join('; ');
    expect(reasons).toMatch(/no cross-region promotion: the witness sees the writer alive/);
    expect(reasons).toMatch(/the witness in us-west-1 reaches primary's database/);
    expect(reasons).toMatch(/standby_dr is in another region \(us-west-2\): no cross-region promotion/);
    // The control plane itself saw three signals say "down": only the witness held it back.
    expect(reasons).toMatch(/ec2: down \(EC2 API in us-east-1 did not answer/);
    expect(receipt.fencing).toBeNull();
    expect(writer.lastError).toBeUndefined();
    expect(during).toBeGreaterThan(before);
    expect(writer.acked.length).toBeGreaterThan(during);
    const verdict = await expectNoSplitBrain(execution);
    expect(verdict.rounds.filter((r) => r.writable.some((w) => w !== 'primary'))).toEqual([]);
  });

  it('region outage (gone from everywhere): the witness agrees, the DR is promoted as before', async () => {
    await loseThePrimaryRegion();

    const execution = await f.s.failover();

    const receipt = f.s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr' });
    expect(receipt.reasons.join('; ')).toMatch(/cross-region promotion allowed: the witness in us-west-1 agrees primary is gone: database: refused .*EC2: instance-stopped/);
    await expectNoSplitBrain(execution);
  });

  it('witness unreachable: its verdict is unknown, no cross-region promotion, and the notification says why', async () => {
    f.bench.witness.cut();
    await loseThePrimaryRegion();

    const execution = await f.s.failover();

    const receipt = f.s.receipt(execution);
    expect(receipt.promoted).toBeNull();
    expect(receipt.outcome).toBe('refused');
    expect(receipt.reasons.join('; ')).toMatch(/no cross-region promotion: the witness verdict is unknown and the writer's lease is unknown \(the witness in us-west-1 could not be asked: /);
    // The receipt goes out as the failover event (the notification's source), reasons included.
    const events = f.bench.faults.seen.filter((r) => r.service === 'events' && r.operation.endsWith('PutEvents'));
    expect(events.some((r) => r.body.toString('utf8').includes('the witness verdict is unknown'))).toBe(true);
    await expectNoSplitBrain(execution);
  });

  it('the control plane cannot reach the EC2 API but the witness can: the witness fences (tag and stop), and the fence record says so', async () => {
    const { bench, s } = f;
    bench.faults.fail({ match: calls.ec2In('us-east-1'), status: 'reset', times: Infinity });
    // PostgreSQL on the primary is gone; its instance still runs (EC2 tells the witness so).
    await s.topology().stop('primary');

    const execution = await s.failover();

    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2' });
    expect(receipt.fencing).toMatchObject({ node: 'primary', fenced: true, instanceState: 'stopped', fencedBy: 'witness' });
    expect(receipt.fencing?.reason).toMatch(/^fenced through the witness in us-west-1: primary \(i-[0-9a-f]+\) fenced: instance is stopped; the control plane could not reach the EC2 API in us-east-1; the witness in us-west-1 could/);
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: emulator() });
    expect(await instanceState(ec2, s.node('primary').instanceId)).toBe('stopped');
    expect(await instanceTags(ec2, s.node('primary').instanceId)).toMatchObject({ 'pgfo:fenced': expect.stringContaining(execution.name) });
    // The stop went through the witness's path, never the control plane's.
    expect(bench.witness.faults.seen.some((r) => r.service === 'ec2' && r.operation === 'StopInstances')).toBe(true);
    await expectNoSplitBrain(execution);
  });
});
