import { writeFileSync } from 'node:fs';
import { sampleAndPublish } from '../../functions/monitor/handler';
import { calls } from '../../local/fault-proxy';
import type { FailoverBench } from '../../local/failover-bench';
import { LinkProxy } from '../../local/link-proxy';
import type { FailoverConfig } from '../../shared/config/schema';
import { checkWriterLease } from '../../shared/actions/writer-lease-gate';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { failoverFixture, type Scenario } from '../harness/fixture';

/** Polls `check` every 200 ms until it holds or `seconds` pass; returns the seconds it took. */
const within = async (seconds: number, what: string, check: () => Promise<boolean> | boolean): Promise<number> => {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > seconds * 1000) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return (Date.now() - started) / 1000;
};

/**
 * The writer lease (issue 21): the writer's agent renews it through its region's path to a store
 * that answers only where a majority of three regions is reachable, and stops PostgreSQL when it
 * cannot; the control plane never promotes past a writer that still renews it.
 */
describe('writer lease', () => {
  const f = failoverFixture();
  let bench: FailoverBench;
  let s: Scenario;
  const leaseSeconds = 10;
  const holding = (node: string) => bench.agents.orders!.agents[node]!.state.holding;
  /** Waits for the primary's agent to hold the lease (its log in the error otherwise). */
  const primaryHolds = () =>
    within(10, 'the primary agent takes the lease', () => holding('primary')).catch((error: Error) => {
      throw new Error(`${error.message}; agent log: ${JSON.stringify(bench.agents.orders!.log.slice(-6))}`);
    });

  it("the writer's region cut off from the store: PostgreSQL stops within the lease, and starts again as the writer once the path returns; never two writers", async () => {
    ({ bench, s } = await f.start({ agents: true, probe: false }));
    const probe = s.startProbe();
    await primaryHolds();
    expect(holding('standby_az2') || holding('standby_dr')).toBe(false);

    bench.store!.isolate('us-east-1');
    const stoppedAfter = await within(leaseSeconds + 3, 'the writer stops', () => !s.topology().isRunning('primary'));
    process.stdout.write(`writer stopped ${stoppedAfter.toFixed(1)} s after its region lost the store\n`);
    await expect(s.topology().query('primary', 'SELECT 1')).rejects.toThrow();

    bench.store!.restore('us-east-1');
    const writable = async () => {
      const rows = await s.topology().query<{ r: boolean }>('primary', 'SELECT pg_is_in_recovery() AS r').catch(() => null);
      return rows?.[0]?.r === false;
    };
    await within(15, 'the writer takes writes again', writable);
    const log = bench.agents.orders!.log.filter((l) => l.node === 'primary').map((l) => l.message);
    expect(log).toContainEqual(expect.stringMatching(/could not be renewed for [\d.]+ s .*stopping PostgreSQL/));
    expect(log).toContainEqual(expect.stringMatching(/renewed again and the record still names this node: starting PostgreSQL/));

    const rounds = await probe.stop();
    expect(rounds.length).toBeGreaterThan(0);
    expect(rounds.filter((r) => r.writable.length > 1)).toEqual([]);
  });

  it('the control region cut off from the primary region (databases and EC2 API), the writer renewing through its own path: no promotion, the lease held in the receipt', async () => {
    ({ bench, s } = await f.start({ agents: true }));
    await primaryHolds();
    // The monitor has published the writer's position (the lag guard's reference): without the
    // writer lease, this partition would promote the DR.
    await sampleAndPublish({ samples: 3, intervalMs: 200 });
    // The control plane (us-west-2) reaches the us-east-1 nodes through links that are cut; the
    // applications there, the sync standby and the store's witness region still reach the primary.
    const config: FailoverConfig = structuredClone(bench.stack.config);
    const links: LinkProxy[] = [];
    for (const node of config.clusters[0]!.nodes.filter((n) => n.region === 'us-east-1')) {
      const link = await LinkProxy.start({ host: node.host, port: node.port });
      node.port = link.port;
      link.cut('reset');
      links.push(link);
    }
    const file = `${bench.stack.configFile}.control-partition.json`;
    writeFileSync(file, JSON.stringify(config));
    process.env.PGFO_CONFIG_FILE = file;
    bench.faults.fail({ match: calls.ec2In('us-east-1'), status: 'reset', times: Infinity });
    s.topology().links.standby_dr!.cut('reset');
    bench.store!.cut('us-west-2', 'us-east-1');

    const execution = await s.failover();

    const receipt = s.receipt(execution);
    expect(receipt.promoted).toBeNull();
    expect(receipt.outcome).toBe('undecided');
    expect(receipt.reasons.join('; ')).toMatch(/no failover: writer lease held: primary renews its lease/);
    expect(receipt.outageChecks.some((c) => c.writerLease === 'held')).toBe(true);
    expect(receipt.outageChecks.every((c) => c.writerLease !== 'expired')).toBe(true);
    expect(s.topology().isRunning('primary')).toBe(true);
    const verdict = await f.expectNoSplitBrain(execution);
    expect(verdict.rounds.filter((r) => r.writable.some((w) => w !== 'primary'))).toEqual([]);
    for (const link of links) await link.close();
  });

  it("a first check counts the lapse from the monitor's first sight of the last counter, never from before it", async () => {
    ({ bench, s } = await f.start({ agents: true, probe: false }));
    await primaryHolds();
    bench.store!.isolate('us-east-1');
    // The monitor (us-west-2) reads the writer's last counter through the store's majority and
    // publishes it (WriterLeaseCounter) while the writer's agent can no longer renew.
    const sampling = Date.now();
    const summary = await sampleAndPublish({ samples: 2, intervalMs: 200 });
    expect(summary.errors).toEqual([]);
    const context = clusterContext('orders');
    const firstCheck = () => checkWriterLease(context, nodeNamed(context.cluster, 'primary'), null, { now: new Date(), execution: 'lease-seed', revokeIfExpired: false });

    const seeded = await firstCheck();
    expect(seeded.judgement).toMatchObject({ lease: 'held', observation: { seenBy: 'monitor' }, detail: expect.stringMatching(/counter \d+ first seen by the monitor at /) });
    // Every check here is a first one (no earlier observation): only the monitor's sight can let it expire.
    let last = seeded;
    await within(leaseSeconds + 5, 'a first check finds the lease expired', async () => (last = await firstCheck()).judgement.lease === 'expired');
    const since = seeded.judgement.observation!.since;
    expect(last.judgement).toMatchObject({ observation: { since }, detail: expect.stringContaining(`first seen by the monitor at ${since}`) });
    expect(new Date(since).getTime()).toBeGreaterThan(sampling);
    expect(s.topology().isRunning('primary')).toBe(false);
  });
});
