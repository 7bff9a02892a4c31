import { EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { localCommandRunner } from '../../local/run-command';
import { resetEmulator } from '../../local/emulator';
import { startFailoverBench, type FailoverBench } from '../../local/failover-bench';
import { scenario } from '../harness/scenario';

/** The PGFO-RESULT line the rejoin document prints last. */
const resultOf = (stdout: string): Record<string, unknown> => {
  const line = stdout.split('\n').find((l) => l.startsWith('PGFO-RESULT '));
  if (!line) throw new Error(`no result line in:\n${stdout}`);
  return JSON.parse(line.slice('PGFO-RESULT '.length)) as Record<string, unknown>;
};

describe('rejoin document (host/pgfo-rejoin.sh) on the real topology', () => {
  let bench: FailoverBench;
  let s: ReturnType<typeof scenario>;
  const emulator = () => process.env.AWS_ENDPOINT_URL_EMULATOR!;

  beforeAll(() => {
    process.env.AWS_ENDPOINT_URL_EMULATOR = process.env.AWS_ENDPOINT_URL;
  });
  beforeEach(async () => {
    await resetEmulator(emulator());
    bench = await startFailoverBench();
    s = scenario(bench, emulator());
  });
  afterEach(async () => {
    await s?.stopProbe();
    await bench?.teardown();
  });

  const rejoin = (node: string, writer: string, extra: Record<string, string> = {}) => {
    const n = s.node(node);
    const w = s.node(writer);
    const run = localCommandRunner(bench.stack.config, bench.stack.topologies);
    return run({ region: n.region, instanceId: n.instanceId }, 'pgfo-rejoin', {
      SourceHost: w.host,
      SourcePort: String(w.port),
      Database: s.cluster().database,
      ApplicationName: node,
      WaitSeconds: '30',
      ...extra,
    }, { timeoutSeconds: 120 });
  };

  it('rewinds a returned old primary with a divergent write into a standby of the new writer, reporting what it discarded', async () => {
    const app = s.writer('primary');
    await app.start();
    await s.stopInstances('primary');
    const execution = await s.failover();
    await app.stop().catch(() => undefined);
    expect(s.receipt(execution).outcome).toBe('promoted');
    const writer = s.receipt(execution).promoted as string;

    // The zombie: the old primary's instance and PostgreSQL started by hand, writable on its old timeline.
    const old = s.node('primary');
    await new EC2Client({ region: old.region, endpoint: emulator() }).send(new StartInstancesCommand({ InstanceIds: [old.instanceId] }));
    await s.topology().start('primary');
    // Its synchronous standby is gone: a commit waits for it forever, yet is already written locally.
    await s.topology().query('primary', 'SET synchronous_commit = local; CREATE TABLE zombie_only (id int); INSERT INTO zombie_only SELECT generate_series(1, 1000)');
    const afterFailover = s.writer(writer);
    await afterFailover.start();

    const dry = await rejoin('primary', writer, { DryRun: '1' });
    expect(dry.status).toBe('Success');
    const report = resultOf(dry.stdout);
    expect(report).toMatchObject({ outcome: 'dry-run', method: 'rewind', nodeTimeline: 1, writerTimeline: 2 });
    expect(report.discardedBytes).toBeGreaterThan(0);
    expect(report.discardedCommits).toBeGreaterThanOrEqual(1); // the zombie's statements ran as one transaction
    const [still] = await s.topology().query<{ r: boolean }>('primary', 'SELECT pg_is_in_recovery() AS r');
    expect(still!.r).toBe(false); // a dry run changes nothing

    const done = await rejoin('primary', writer);
    await afterFailover.stop();
    expect(done.status).toBe('Success');
    expect(resultOf(done.stdout)).toMatchObject({ outcome: 'rejoined', method: 'rewind', streamingTimeline: 2, discardedBytes: report.discardedBytes });
    const [row] = await s.topology().query<{ r: boolean }>('primary', 'SELECT pg_is_in_recovery() AS r');
    expect(row!.r).toBe(true);
    const zombie = await s.topology().query('primary', "SELECT to_regclass('zombie_only') AS t");
    expect(zombie[0]).toEqual({ t: null });
    // Everything acknowledged by the new writer reaches the rejoined node.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await afterFailover.lostOn(s.appTarget('primary'))).lost).toBe(0);
    const streaming = await s.topology().query(writer, "SELECT 1 FROM pg_stat_replication WHERE application_name = 'primary' AND state = 'streaming'");
    expect(streaming).toHaveLength(1);
  }, 300_000);
});
