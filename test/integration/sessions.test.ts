import { closeFailoverSessions, keptFailoverSessions } from '../../shared/actions/failover-connection';
import { databaseSignal, standbysSignal } from '../../shared/actions/signals';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import type { FailoverBench } from '../../local/failover-bench';
import { failoverFixture } from '../harness/fixture';

/** The failover's read-only checks reuse their database sessions; a stale one never reads as "down". */
describe('failover checks reuse database sessions', () => {
  // No probe: the tests count the control plane's own sessions.
  const f = failoverFixture({ probe: false });
  let bench: FailoverBench;
  beforeEach(() => ({ bench } = f));
  const context = () => clusterContext('orders');
  const primary = () => nodeNamed(context().cluster, 'primary');
  const failoverBackends = async () =>
    (await bench.stack.topologies.orders!.query<{ pid: number }>('primary', "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgfo-failover'")).map((r) => Number(r.pid));

  it('asks the primary twice over one session, and the standbys over one session each', async () => {
    await closeFailoverSessions();

    const first = await databaseSignal(context(), primary());
    const sessionAfterFirst = await failoverBackends();
    const second = await databaseSignal(context(), primary());
    await standbysSignal(context(), primary());
    await standbysSignal(context(), primary());

    expect([first.down, second.down]).toEqual([false, false]);
    expect(sessionAfterFirst).toHaveLength(1);
    expect(await failoverBackends()).toEqual(sessionAfterFirst);
    expect(keptFailoverSessions()).toBe(3);
  });

  it('a session ended under it is replaced by a fresh one: the check still reads the primary as up', async () => {
    await databaseSignal(context(), primary());
    const [stale] = await failoverBackends();
    await bench.stack.topologies.orders!.query('primary', 'SELECT pg_terminate_backend($1)', [stale]);

    const signal = await databaseSignal(context(), primary());

    expect(signal).toMatchObject({ down: false, detail: 'primary accepts connections and is writable' });
    const now = await failoverBackends();
    expect(now).toHaveLength(1);
    expect(now).not.toContain(stale);
  });

  it('reads the primary as down only when a fresh connection fails too', async () => {
    await databaseSignal(context(), primary());
    await bench.stack.topologies.orders!.stop('primary');

    const signal = await databaseSignal(context(), primary());

    expect(signal).toMatchObject({ down: true, detail: expect.stringMatching(/^primary does not answer \(refused\): cannot connect to/) });
  });
});
