import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { handler as monitorHandler } from '../../functions/monitor/handler';
import { handler as historyHandler } from '../../functions/operators/history';
import { handler as planHandler } from '../../functions/operators/plan';
import { handler as statusHandler } from '../../functions/operators/status';
import { setLogSink } from '../../shared/log';
import { resetEmulator } from '../../local/emulator';
import { startFailoverBench, type FailoverBench } from '../../local/failover-bench';
import type { LoginKind } from '../../local/local-stack';

/**
 * The secrets canary: the app, monitor and failover logins get passwords with every character that
 * breaks URLs, quoting and JSON, plus unicode, marked at both ends with a token that survives any
 * escaping or percent-encoding. After a monitor run, a whole failover, a plan and a status, the token
 * must appear in no log line, output, receipt, error, published metric or AWS request, except the one
 * place it belongs: the DATABASE_URL the failover writes to SSM.
 */
const MARK = 'pgfoCanary7';
const canary = (kind: LoginKind) => `${MARK}@:/?#%&'" \\é密🙂${MARK}-${kind}`;
const passwords: Record<LoginKind, string> = { app: canary('app'), monitor: canary('monitor'), failover: canary('failover') };

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

describe('secrets canary through monitor, failover, plan and status', () => {
  let bench: FailoverBench;
  const lines: string[] = [];
  const captured: Array<{ what: string; text: string }> = [];
  let restoreSink: ReturnType<typeof setLogSink>;

  /** Runs a handler as Lambda would, keeping its output or its error (name, message and cause). */
  const invoke = async (what: string, handler: unknown, event: unknown) => {
    try {
      const output = await (handler as Handler)(event, {});
      captured.push({ what, text: JSON.stringify(output) });
      return output;
    } catch (error) {
      const e = error as Error & { cause?: Error };
      captured.push({ what: `${what} error`, text: JSON.stringify({ name: e.name, message: e.message, stack: e.stack, cause: e.cause?.message }) });
      throw error;
    }
  };

  beforeAll(async () => {
    await resetEmulator(process.env.AWS_ENDPOINT_URL!);
    restoreSink = setLogSink((line) => lines.push(line));
    bench = await startFailoverBench({ passwords });
  });

  afterAll(async () => {
    setLogSink(restoreSink);
    await bench?.teardown();
  });

  it('never shows a password, raw, escaped or encoded, anywhere but in the DATABASE_URL written to SSM', async () => {
    const cluster = bench.stack.cluster();
    expect(bench.stack.logins.orders).toMatchObject({ app: { password: passwords.app }, monitor: { password: passwords.monitor }, failover: { password: passwords.failover } });

    // The monitor logs in with its canary on every node.
    const summary = (await invoke('monitor', monitorHandler, { samples: 2, intervalMs: 250 })) as { unreachable: string[] };
    expect(summary.unreachable).toEqual([]);

    // The primary crashes; the alarm starts the whole failover (the failover login, then DATABASE_URL).
    const primary = cluster.nodes.find((n) => n.name === 'primary')!;
    await new EC2Client({ region: primary.region }).send(new StopInstancesCommand({ InstanceIds: [primary.instanceId] }));
    await bench.power.settle();
    const trigger = await bench.alarm(new Date());
    expect(trigger.started).toBe(true);
    const execution = await bench.execution(trigger.executionName!);
    captured.push({ what: 'execution', text: JSON.stringify(execution) });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2' });

    // Operators look at the result; the dead primary gives them connection errors to report.
    await invoke('plan', planHandler, { cluster: 'orders' });
    const status = (await invoke('status', statusHandler, {})) as { clusters: Array<{ nodes: Array<{ name: string; role: string }> }> };
    expect(status.clusters[0]!.nodes.find((n) => n.name === 'primary')?.role).toBe('unreachable');
    await invoke('history', historyHandler, { cluster: 'orders' });
    await expect(invoke('status of an unknown cluster', statusHandler, { cluster: 'nope' })).rejects.toThrow(/unknown cluster/);

    // What the emulator's CloudWatch holds now.
    const cloudWatch = new CloudWatchClient({ region: bench.stack.config.controlRegion });
    const listed = await cloudWatch.send(new ListMetricsCommand({ Namespace: bench.stack.config.namespace }));
    expect(listed.Metrics?.length).toBeGreaterThan(10);
    const since = new Date(Date.now() - 15 * 60000);
    const data = await cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: since,
        EndTime: new Date(Date.now() + 60000),
        MetricDataQueries: (listed.Metrics ?? []).slice(0, 100).map((metric, i) => ({ Id: `m${i}`, MetricStat: { Metric: metric, Period: 1, Stat: 'Maximum' } })),
      }),
    );
    captured.push({ what: 'ListMetrics', text: JSON.stringify(listed.Metrics) }, { what: 'GetMetricData', text: JSON.stringify(data.MetricDataResults) });

    captured.push(...lines.map((text) => ({ what: 'log line', text })));
    expect(lines.some((line) => line.includes('"failover receipt"'))).toBe(true);
    expect(captured.filter((c) => c.text.includes(MARK))).toEqual([]);

    // Every AWS request the functions made: the canary only in the DATABASE_URL writes, percent-encoded.
    const requests = bench.faults.seen;
    expect(requests.some((r) => r.operation.includes('PutMetricData'))).toBe(true);
    const carrying = requests.filter((r) => r.body.includes(MARK));
    expect(carrying.map((r) => `${r.service} ${r.operation}`)).toEqual(cluster.databaseUrlParameters.map(() => 'ssm AmazonSSM.PutParameter'));
    for (const request of carrying) {
      const { Name, Value } = JSON.parse(request.body.toString('utf8')) as { Name: string; Value: string };
      expect(cluster.databaseUrlParameters.map((p) => p.name)).toContain(Name);
      expect(Value).toContain(`:${encodeURIComponent(passwords.app)}@`);
      for (const kind of ['monitor', 'failover'] as const) expect(Value).not.toContain(encodeURIComponent(passwords[kind]));
      expect(Value).not.toContain(passwords.app);
    }
  });
});
