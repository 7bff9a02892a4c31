import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { sampleAndPublish } from '../../functions/monitor/handler';
import { setLogSink } from '../../shared/log';
import { resetEmulator } from '../../local/emulator';
import { nextSecond, readMetric } from '../../local/cloudwatch-readback';
import { startLocalStack, type LocalStack } from '../../local/local-stack';

const KB = 1024;
const MB = 1024 * KB;

describe('monitor on a real replication topology', () => {
  let stack: LocalStack;
  const logs: string[] = [];
  let restoreSink: ReturnType<typeof setLogSink>;

  const topology = () => stack.topologies.orders!;
  const latest = async (metric: string, since: Date, node?: string) => {
    const values = await readMetric('us-west-2', 'PgFailover', metric, { Cluster: 'orders', ...(node ? { Node: node } : {}) }, since);
    return values.at(-1);
  };
  const sampleOnce = () => sampleAndPublish({ samples: 1 });
  const writeBurst = (bytes: number) =>
    topology().query('primary', `INSERT INTO lag_probe SELECT g, repeat('x', 1000) FROM generate_series(1, $1) AS g`, [
      Math.ceil(bytes / 1000),
    ]);
  const waitForCatchUp = async (standby: string) => {
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      const rows = await topology().query<{ lag: string }>(
        'primary',
        `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag FROM pg_stat_replication WHERE application_name = $1`,
        [standby],
      );
      if (rows[0] && Number(rows[0].lag) === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${standby} did not catch up within 30 s`);
  };

  beforeAll(async () => {
    await resetEmulator(process.env.AWS_ENDPOINT_URL!);
    stack = await startLocalStack();
    Object.assign(process.env, stack.env);
    restoreSink = setLogSink((line) => logs.push(line));
    await topology().query('primary', 'CREATE TABLE lag_probe (id int, pad text)');
  });

  afterAll(async () => {
    setLogSink(restoreSink);
    await stack?.teardown();
  });

  it('publishes health and lag of every node with Cluster and Node dimensions, one call per round', async () => {
    const since = await nextSecond();
    const summary = await sampleAndPublish({ samples: 2, intervalMs: 1000 });
    expect(summary).toMatchObject({ clusters: 1, rounds: 2, putMetricDataCalls: 2, unreachable: [], errors: [] });
    expect(summary.dataPoints).toBeGreaterThan(2 * 20);
    const listed = await new CloudWatchClient({ region: 'us-west-2' }).send(new ListMetricsCommand({ Namespace: 'PgFailover' }));
    const names = new Set(listed.Metrics?.map((m) => m.MetricName));
    for (const name of ['PrimaryReachable', 'WalSenders', 'FlushLagBytes', 'ReplayLagSeconds', 'WalReceiverUp', 'Synchronous']) {
      expect(names).toContain(name);
    }
    expect(await latest('PrimaryReachable', since)).toBe(1);
    expect(await latest('WalSenders', since)).toBe(2);
    expect(await latest('WritableNodes', since)).toBe(1);
    expect(await latest('WalReceiverUp', since, 'standby_az2')).toBe(1);
    expect(await latest('WalReceiverUp', since, 'standby_dr')).toBe(1);
    expect(await latest('Synchronous', since, 'standby_az2')).toBe(1);
    expect(await latest('Synchronous', since, 'standby_dr')).toBe(0);
    expect(await latest('SlotRetainedBytes', since)).toBeGreaterThanOrEqual(0);
  });

  it('shows DR lag growing while its link is slowed, the sync standby staying current, and recovery after', async () => {
    topology().links.standby_dr!.setBandwidth(64 * KB);
    await writeBurst(4 * MB);
    const during = await nextSecond();
    await sampleOnce();
    const drLag = await latest('FlushLagBytes', during, 'standby_dr');
    const syncLag = await latest('FlushLagBytes', during, 'standby_az2');
    expect(drLag).toBeGreaterThan(1 * MB);
    expect(syncLag).toBeLessThan(256 * KB);

    topology().links.standby_dr!.setBandwidth(null);
    await waitForCatchUp('standby_dr');
    const after = await nextSecond();
    await sampleOnce();
    expect(await latest('FlushLagBytes', after, 'standby_dr')).toBeLessThan(64 * KB);
  });

  it('shows replay lag (not flush lag) while the DR replay is paused', async () => {
    await topology().pauseReplay('standby_dr');
    try {
      await writeBurst(2 * MB);
      await new Promise((r) => setTimeout(r, 500));
      const since = await nextSecond();
      await sampleOnce();
      expect(await latest('ReplayLagBytes', since, 'standby_dr')).toBeGreaterThan(1 * MB);
      expect(await latest('FlushLagBytes', since, 'standby_dr')).toBeLessThan(256 * KB);
      expect(await latest('ReplayLagSeconds', since, 'standby_dr')).toBeGreaterThan(0);
    } finally {
      await topology().resumeReplay('standby_dr');
    }
  });

  it('shows a stopped standby with its receiver down and keeps sampling the others', async () => {
    await topology().stop('standby_az2');
    try {
      const since = await nextSecond();
      const summary = await sampleOnce();
      expect(summary.unreachable).toEqual([expect.objectContaining({ cluster: 'orders', node: 'standby_az2' })]);
      expect(await latest('WalReceiverUp', since, 'standby_az2')).toBe(0);
      expect(await latest('NodeReachable', since, 'standby_az2')).toBe(0);
      expect(await latest('WalSenders', since)).toBe(1);
      expect(await latest('WalReceiverUp', since, 'standby_dr')).toBe(1);
    } finally {
      await topology().start('standby_az2');
      await topology().waitForStreaming('standby_az2');
    }
  });

  it('shows a stopped primary as unreachable with a logged reason and no password in any log line', async () => {
    await topology().stop('primary');
    const since = await nextSecond();
    const summary = await sampleOnce();
    expect(await latest('PrimaryReachable', since)).toBe(0);
    expect(await latest('NodeReachable', since, 'primary')).toBe(0);
    expect(await latest('NodeReachable', since, 'standby_az2')).toBe(1);
    expect(await latest('WalReceiverUp', since, 'standby_az2')).toBe(0);
    const reason = summary.unreachable.find((u) => u.node === 'primary')?.reason;
    expect(reason).toMatch(/ECONNREFUSED|connect/);
    expect(logs.some((line) => line.includes('"node":"primary"') && line.includes('node unreachable'))).toBe(true);
    const passwords = Object.values(stack.logins.orders!).map((login) => login.password);
    for (const line of logs) for (const password of passwords) expect(line).not.toContain(password);
  });
});
