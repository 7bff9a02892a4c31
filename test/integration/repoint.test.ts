import { Route53Client } from '@aws-sdk/client-route-53';
import { readCname } from '../../shared/aws/route53';
import { convergeRecord, publishedTargets, repointRecord } from '../../shared/actions/repoint';
import { dynamoClient } from '../../shared/aws/clients/dynamodb';
import { LeaseStore } from '../../shared/aws/lease';
import { calls } from '../../local/fault-proxy';
import { readMetric } from '../../local/cloudwatch-readback';
import { REPAIRS_METRIC } from '../../shared/actions/repair-receipt';
import type { FailoverBench } from '../../local/failover-bench';
import { localHandlers } from '../../local/handlers';
import { LOCAL_DEPLOYMENT } from '../../local/local-stack';
import type { LocalExecution } from '../../local/state-machine';
import { failoverFixture, type Scenario } from '../harness/fixture';

/**
 * The repoint: DATABASE_URL and the cluster record in branches that do not wait on each other.
 * Route 53 answers PENDING for a while (as it does in AWS) or not at all (its control plane is in
 * one region); applications that follow DATABASE_URL move either way. The split-brain probe runs
 * through every test.
 */
describe('repoint: DATABASE_URL never waits for Route 53', () => {
  const f = failoverFixture();
  let bench: FailoverBench;
  let s: Scenario;
  const { emulator, expectNoSplitBrain } = f;
  const start = async () => ({ bench, s } = await f.start());
  const store = () => new LeaseStore(dynamoClient(bench.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
  const stepEnd = (execution: LocalExecution, step: string) => Date.parse(s.receipt(execution).steps.find((st) => st.step === step)!.endedAt);

  it('writes DATABASE_URL in every region while the Route 53 change is still PENDING, and reports the record in sync once it is', async () => {
    await start();
    bench.faults.route53.pendingMs = 4000;
    await s.stopInstances('primary');

    const execution = await s.failover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', dnsPending: null });
    expect(receipt.dns).toMatchObject({ status: 'in-sync', target: s.node('standby_az2').dnsName });
    expect(receipt.databaseUrl.map((u) => u.port)).toEqual([s.node('standby_az2').port, s.node('standby_az2').port]);
    // Every DATABASE_URL was written before Route 53 had the change in sync.
    const change = bench.faults.seen.find(calls.route53Change);
    expect(change).toBeDefined();
    const urlsWritten = stepEnd(execution, 'databaseUrl');
    const changeId = (await store().readDnsIntent('orders'))!.changeId!;
    expect(urlsWritten).toBeLessThan(bench.faults.route53.inSyncAt(changeId)!);
    expect(urlsWritten).toBeLessThan(stepEnd(execution, 'dns'));
    process.stdout.write(
      `repoint with Route 53 PENDING ${bench.faults.route53.pendingMs} ms: promotion -> last DATABASE_URL written ${urlsWritten - stepEnd(execution, 'promotion')} ms; ` +
        `promotion -> record INSYNC ${stepEnd(execution, 'dns') - stepEnd(execution, 'promotion')} ms\n`,
    );
    await expectNoSplitBrain(execution);
  });

  it('Route 53 down for good: the failover succeeds through DATABASE_URL, says "DNS pending" in the receipt and its event, and the record converges when Route 53 answers again', async () => {
    await start();
    bench.faults.fail({ match: calls.route53Any, status: 503, times: Infinity });
    await s.stopInstances('primary');

    const execution = await s.failover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = s.receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', error: null, dns: { status: 'pending', node: 'standby_az2' } });
    expect(receipt.dnsPending).toMatch(/^DNS pending: AwsTransientError: route53:ChangeResourceRecordSets .* failed/);
    expect(receipt.reasons).toContain(receipt.dnsPending);
    expect(receipt.databaseUrl.map((u) => u.port)).toEqual([s.node('standby_az2').port, s.node('standby_az2').port]);
    expect(execution.states.find((st) => st.name === 'RepointDns')?.retries).toBeGreaterThanOrEqual(1);
    const event = bench.faults.seen.find((r) => r.service === 'events' && r.body.toString('utf8').includes('PostgreSQL Writer Changed'));
    expect(event?.body.toString('utf8')).toContain('DNS pending');
    const record = () => readCname(new Route53Client({ region: 'us-east-1', endpoint: emulator() }), s.cluster().route53.hostedZoneId, s.cluster().route53.recordName);
    expect(await record()).toBe(s.node('primary').dnsName);
    expect((await publishedTargets(s.cluster()).catch((error: Error) => error)) instanceof Error).toBe(true);
    expect(await store().readDnsIntent('orders')).toMatchObject({ applied: false, target: s.node('standby_az2').dnsName, holder: execution.name });

    // While Route 53 is still down, the convergence cannot read the record: it repairs nothing blind and keeps the intent.
    const whileDown = await bench.converge();
    expect(whileDown.unchecked).toEqual([{ what: 'cluster record', reason: expect.stringMatching(/route53:ListResourceRecordSets/) }]);
    expect(await store().readDnsIntent('orders')).toMatchObject({ applied: false });

    bench.faults.clear();
    const converged = await bench.converge();

    expect(converged.receipts).toEqual([expect.objectContaining({ repair: 'dns', outcome: 'repaired', from: 'primary', to: 'standby_az2' })]);
    expect(await record()).toBe(s.node('standby_az2').dnsName);
    expect(await store().readDnsIntent('orders')).toMatchObject({ applied: true });
    expect(await bench.converge()).toMatchObject({ receipts: [], pending: [], unchecked: [] });
    await expectNoSplitBrain(execution);
  });

  it('a stale writer never overwrites a newer one: a lower lease generation sends nothing, and the convergence applies only the latest intent', async () => {
    await start();
    const cluster = s.cluster();
    const leases = store();
    await leases.recordDnsIntent({ cluster: 'orders', generation: 2000, node: 'standby_dr', target: s.node('standby_dr').dnsName, holder: 'newer' });
    const changesBefore = bench.faults.seen.filter(calls.route53Change).length;

    const stale = await repointRecord(cluster, s.node('standby_az2'), { store: leases, holder: 'older', generation: 1000 });

    expect(stale).toMatchObject({ status: 'superseded', changeId: null });
    expect(bench.faults.seen.filter(calls.route53Change).length).toBe(changesBefore);
    expect(await leases.readDnsIntent('orders')).toMatchObject({ generation: 2000, holder: 'newer', applied: false });
    // The convergence sends the newest intent, whoever recorded what before.
    expect(await convergeRecord(cluster, leases)).toMatchObject({ action: 'applied', generation: 2000, target: s.node('standby_dr').dnsName });
    expect((await publishedTargets(cluster)).record).toBe(s.node('standby_dr').dnsName);
  });

  it('waits for a running failover: the convergence is deferred while another holder has the lease', async () => {
    await start();
    const leases = store();
    await leases.recordDnsIntent({ cluster: 'orders', generation: 1000, node: 'standby_az2', target: s.node('standby_az2').dnsName, holder: 'earlier' });
    await leases.acquire('orders', 'running-failover', 'failover', 60);

    const outcome = await convergeRecord(s.cluster(), leases);

    expect(outcome).toMatchObject({ action: 'deferred', reason: expect.stringMatching(/running-failover holds the lease/) });
    expect((await publishedTargets(s.cluster())).record).toBe(s.node('primary').dnsName);
    expect(await leases.release('orders', 'running-failover', 0)).toBe(true);
  });

  it('a DATABASE_URL region that cannot be written fails the failover naming the regions written and not written, and the convergence (not a re-run) writes it once SSM answers', async () => {
    await start();
    bench.faults.fail({ match: (i) => calls.ssmPut(i) && i.region === 'us-west-2', status: 503, times: Infinity });
    await s.stopInstances('primary');

    const failed = await s.failover();

    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('AwsTransientError');
    expect(failed.cause).toMatch(/DATABASE_URL written in us-east-1 \/orders\/prod\/DATABASE_URL; not written in us-west-2 \/orders\/prod\/DATABASE_URL \(ssm:PutParameter/);
    const partial = await publishedTargets(s.cluster());
    expect(partial.urls.map((u) => [u.region, u.port])).toEqual([
      ['us-east-1', s.node('standby_az2').port],
      ['us-west-2', s.node('primary').port],
    ]);
    // The DNS branch was not cancelled by the DATABASE_URL failure.
    expect(partial.record).toBe(s.node('standby_az2').dnsName);

    // standby_az2 writes: the monitor (not run by the bench) would see a writer again and the alarm clear.
    await bench.setAlarm('OK');
    // SSM still refuses: the pass tries, records the failure and says what is pending since when.
    const stillDown = await bench.converge();
    const pendingUrl = /^DATABASE_URL us-west-2 \/orders\/prod\/DATABASE_URL names primary, writer is standby_az2, pending since \d{4}-/;
    expect(stillDown.receipts).toEqual([expect.objectContaining({ repair: 'database-url', outcome: 'failed', target: 'us-west-2 /orders/prod/DATABASE_URL' })]);
    expect(stillDown.pending).toEqual([expect.stringMatching(pendingUrl)]);
    expect(stillDown.failover).toMatchObject({ start: false, reason: expect.stringMatching(/is OK: nothing to do$/) });
    const status = (await localHandlers.status({ cluster: 'orders' })) as { clusters: Array<{ pending: string[] }> };
    expect(status.clusters[0]!.pending).toEqual([expect.stringMatching(pendingUrl)]);

    bench.faults.clear();
    const since = new Date(Date.now() - 1000);
    const converged = await bench.converge();

    expect(converged).toMatchObject({ writer: 'standby_az2', pending: [], errors: [], deferred: null });
    expect(converged.receipts).toEqual([expect.objectContaining({ repair: 'database-url', outcome: 'repaired', from: 'primary', to: 'standby_az2' })]);
    expect((await publishedTargets(s.cluster())).urls.every((u) => u.port === s.node('standby_az2').port)).toBe(true);
    const history = (await localHandlers.history({ cluster: 'orders' })) as { entries: Array<{ kind: string; outcome: string }> };
    expect(history.entries.filter((e) => e.kind === 'repair').map((e) => e.outcome).sort()).toEqual(['failed', 'repaired']);
    const repairs = await readMetric(bench.stack.config.controlRegion, bench.stack.config.namespace, REPAIRS_METRIC, { Cluster: 'orders', Kind: 'database-url' }, since);
    expect(repairs).toEqual([1]);
    // Converged: the next pass finds nothing to do.
    expect(await bench.converge()).toMatchObject({ receipts: [], pending: [] });
    await expectNoSplitBrain(failed);
  });

  it('an outage that arrives during a DynamoDB blip: the execution fails, the pass starts nothing it could not check, and once DynamoDB answers one pass starts the failover, which promotes', async () => {
    await start();
    await s.stopInstances('primary');
    bench.faults.fail({ match: (i) => i.service === 'dynamodb', status: 503, times: Infinity });

    const stranded = await s.failover();

    expect(stranded.status).toBe('FAILED');
    // Still down: "could not check" is never "start". The first check the pass cannot make is which
    // stacks arbitrate (the cluster record; two control regions); the lease's is proved in unit tests.
    const blind = await bench.converge();
    expect(blind.failover).toMatchObject({ start: false, reason: expect.stringMatching(/^orders: the cluster record could not be read from us-west-2: dynamodb:GetItem record orders failed/) });
    expect(bench.machine.running()).toEqual([]);

    bench.faults.clear();
    const pass = await bench.converge();

    expect(pass.failover).toMatchObject({ start: true, started: true, reason: expect.stringMatching(/in ALARM since .* with no execution running and nothing holding it back/) });
    const execution = await bench.execution(pass.failover.executionName!);
    expect(execution.status).toBe('SUCCEEDED');
    expect(s.receipt(execution)).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2' });
    const history = (await localHandlers.history({ cluster: 'orders' })) as { entries: Array<{ kind: string; outcome: string }> };
    expect(history.entries).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'repair', outcome: 'started' })]));
    // The new incident holds the cooldown now: the next pass starts nothing.
    expect((await bench.converge()).failover).toMatchObject({ start: false });
    await expectNoSplitBrain(execution);
  });
});
