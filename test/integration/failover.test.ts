import { EC2Client, StopInstancesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import { sampleAndPublish } from '../../functions/monitor/handler';
import { readCname } from '../../shared/aws/route53';
import { readParameterFresh } from '../../shared/aws/ssm';
import { databaseUrlTarget } from '../../shared/database-url';
import type { Receipt } from '../../shared/failover/receipt';
import { resetEmulator } from '../harness/emulator';
import { startFailoverBench, type FailoverBench } from '../harness/failover-bench';
import { AckedWriter } from '../harness/workload';

const MB = 1024 * 1024;

describe('automatic failover on the real topology', () => {
  let bench: FailoverBench;

  const cluster = () => bench.stack.cluster();
  const topology = () => bench.stack.topologies.orders!;
  const node = (name: string) => cluster().nodes.find((n) => n.name === name)!;
  const appTarget = (name: string) => ({
    host: node(name).host,
    port: node(name).port,
    database: cluster().database,
    ...bench.stack.logins.orders!.app,
  });
  const stopInstances = async (...names: string[]) => {
    for (const name of names) {
      const n = node(name);
      await new EC2Client({ region: n.region }).send(new StopInstancesCommand({ InstanceIds: [n.instanceId] }));
    }
    await bench.power.settle();
  };
  const instanceState = async (name: string) => {
    const n = node(name);
    const out = await new EC2Client({ region: n.region }).send(new DescribeInstancesCommand({ InstanceIds: [n.instanceId] }));
    return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
  };
  const published = async () => ({
    record: await readCname(new Route53Client({ region: 'us-east-1' }), cluster().route53.hostedZoneId, cluster().route53.recordName),
    urls: await Promise.all(
      cluster().databaseUrlParameters.map(async (p) =>
        databaseUrlTarget(await readParameterFresh(new SSMClient({ region: p.region }), p.region, p.name)),
      ),
    ),
  });
  const writable = async (name: string) => {
    if (!topology().isRunning(name)) return false;
    const rows = await topology().query<{ r: boolean }>(name, 'SELECT pg_is_in_recovery() AS r');
    return rows[0]?.r === false;
  };
  /** Writes under monitoring, so the writer's positions are published as in production. */
  const writeWhileMonitored = async (writer: AckedWriter, ms: number) => {
    await writer.start();
    const monitor = sampleAndPublish({ samples: Math.ceil(ms / 250), intervalMs: 250 });
    await new Promise((r) => setTimeout(r, ms));
    return monitor;
  };
  const runFailover = async () => {
    const trigger = await bench.alarm();
    expect(trigger.started).toBe(true);
    return bench.execution(trigger.executionName!);
  };

  beforeEach(async () => {
    await resetEmulator(process.env.AWS_ENDPOINT_URL!);
  });

  afterEach(async () => {
    await bench?.teardown();
  });

  it('promotes the synchronous standby when only the primary crashed, losing no acknowledged row', async () => {
    bench = await startFailoverBench();
    const writer = new AckedWriter(appTarget('primary'));
    const monitor = await writeWhileMonitored(writer, 1500);
    await stopInstances('primary');
    await writer.stop();
    await monitor;

    const execution = await runFailover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = execution.output as Receipt;
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', previousPrimary: 'primary', alreadyPrimary: false });
    expect(await writable('standby_az2')).toBe(true);
    expect(await writable('standby_dr')).toBe(false);
    const { lost, acked } = await writer.lostOn(appTarget('standby_az2'));
    expect(acked).toBeGreaterThan(100);
    expect(lost).toBe(0);
    expect(receipt.dataLoss?.bytes).toBe(0);
    const { record, urls } = await published();
    expect(record).toBe(node('standby_az2').dnsName);
    expect(urls.map((u) => u.port)).toEqual([node('standby_az2').port, node('standby_az2').port]);
    expect(receipt.steps.map((s) => s.step)).toEqual(['lease', 'outage', 'candidate', 'fence', 'promotion', 'dns', 'databaseUrl']);
  });
});
