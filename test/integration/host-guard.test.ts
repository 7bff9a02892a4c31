import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTagsCommand, DeleteTagsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { resetEmulator } from '../../local/emulator';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localWriterCheck, runHostGuard } from '../../local/host-guard';
import { createLeaseTable } from '../../local/seed';
import { ClusterRecordStore } from '../../shared/aws/cluster-record';
import { aConfig } from '../fixtures/config';
import { LocalImds } from '../../local/imds';
import { createTopology, type Topology } from '../../local/topology';

const password = (): string => randomBytes(12).toString('hex');
const FENCED = 'pgfo:fenced';

/** The guard on a real node: what it decides from the instance's tags, and how PostgreSQL then starts. */
describe('host guard (host/pgfo-guard.sh) before PostgreSQL starts', () => {
  const ec2 = new EC2Client({ region: 'us-east-1' });
  let topology: Topology;
  let imds: LocalImds;
  let instanceId: string;

  const controlRegion = aConfig().controlRegion;
  let table: string;
  const dataDir = () => topology.nodes.primary!.dataDir;
  /** The guard as on a host whose agent reads the record of `cluster` through `store`. */
  const guard = (options: { endpoint?: string; allowUnverified?: boolean; cluster?: string; store?: string } = {}) =>
    runHostGuard(topology.nodes.primary!, {
      cwd: topology.dir,
      imdsEndpoint: options.endpoint ?? imds.instanceEndpoint('us-east-1', instanceId),
      waitSeconds: 2,
      ...(options.allowUnverified ? { allowUnverified: true } : {}),
      writerCheck: localWriterCheck({ cluster: options.cluster ?? 'orders', node: 'primary', tableRegion: controlRegion, table, storeEndpoint: options.store ?? process.env.AWS_ENDPOINT_URL! }),
    });
  /** Stops the node, runs the guard, starts the node: a reboot of its instance. */
  const reboot = async (options: Parameters<typeof guard>[0] = {}) => {
    await topology.stop('primary', 'fast');
    const run = await guard(options);
    await topology.start('primary');
    const [row] = await topology.query<{ r: boolean }>('primary', 'SELECT pg_is_in_recovery() AS r');
    return { ...run, inRecovery: row!.r };
  };

  beforeAll(async () => {
    await resetEmulator(process.env.AWS_ENDPOINT_URL!);
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'pgfo:cluster', Value: 'orders' }] }],
      }),
    );
    instanceId = out.Instances![0]!.InstanceId!;
    table = await createLeaseTable(aConfig(), 'guard-test');
    const records = new ClusterRecordStore(new DynamoDBClient({ region: controlRegion }), table);
    await records.readOrSeed('orders', 'primary');
    await records.readOrSeed('payments', 'db9');
    imds = await LocalImds.start();
    topology = await createTopology({
      nodes: [{ name: 'primary', role: 'primary' }],
      database: 'orders',
      logins: { monitor: { user: 'm', password: password() }, failover: { user: 'f', password: password() }, app: { user: 'a', password: password() } },
    });
  });

  afterAll(async () => {
    await topology?.teardown();
    await imds?.close();
  });

  beforeEach(async () => {
    await ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: FENCED }] }));
    await topology.stop('primary', 'fast');
    rmSync(join(dataDir(), 'standby.signal'), { force: true });
    await topology.start('primary');
  });

  it('lets an instance without the fenced tag that the record names as writer start as a writer', async () => {
    const run = await reboot();
    expect(run.output).toContain('the cluster record grants this node the writer role');
    expect(run.output).toContain('is not tagged pgfo:fenced');
    expect(run.madeStandby).toBe(false);
    expect(run.inRecovery).toBe(false);
  });

  it('starts a node the record does not name as writer in recovery, and one whose record is absent', async () => {
    const other = await reboot({ cluster: 'payments' });
    expect(other.output).toContain('names db9 as the writer, not primary');
    expect(other.inRecovery).toBe(true);
    rmSync(join(dataDir(), 'standby.signal'), { force: true });
    const absent = await reboot({ cluster: 'nowhere' });
    expect(absent.output).toContain('the cluster record is absent');
    expect(absent.inRecovery).toBe(true);
  });

  it('starts in recovery when the record cannot be read (the store unreachable): no permission is no writer', async () => {
    const run = await reboot({ store: 'http://127.0.0.1:9' });
    expect(run.output).toMatch(/cannot tell whether this instance was fenced or may be the writer: the writer check did not answer \(exit 2\)/);
    expect(run.inRecovery).toBe(true);
  });

  it('starts a fenced instance in recovery: it cannot commit, so it is never a second writer', async () => {
    await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: FENCED, Value: 'orders-alarm-20261201220000' }] }));
    const run = await reboot();
    expect(run.output).toContain('orders-alarm-20261201220000');
    expect(run.madeStandby).toBe(true);
    expect(run.inRecovery).toBe(true);
    await expect(topology.query('primary', 'CREATE TABLE zombie_write (id int)')).rejects.toThrow(/read-only transaction/);
    // A second start of the same fenced node keeps it as it is (idempotent).
    const again = await reboot();
    expect(again.output).toContain('already starts in recovery');
    expect(again.inRecovery).toBe(true);
  });

  it('fails closed when the metadata service does not answer: the node starts in recovery', async () => {
    const run = await reboot({ endpoint: 'http://127.0.0.1:9/latest-unreachable' });
    expect(run.output).toContain('cannot tell whether this instance was fenced');
    expect(run.inRecovery).toBe(true);
    expect(existsSync(join(dataDir(), 'standby.signal'))).toBe(true);
  });

  it('starts unchanged without proof only when the operator says so for that start', async () => {
    const run = await reboot({ endpoint: 'http://127.0.0.1:9/latest-unreachable', allowUnverified: true });
    expect(run.output).toContain('PGFO_GUARD_ALLOW_UNVERIFIED=1');
    expect(run.inRecovery).toBe(false);
  });

  it('refuses a GET without an IMDSv2 token, as the metadata service does', async () => {
    const response = await fetch(`${imds.instanceEndpoint('us-east-1', instanceId)}/latest/meta-data/tags/instance`);
    expect(response.status).toBe(401);
  });
});
