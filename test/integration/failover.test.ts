import { EC2Client, StopInstancesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import { sampleAndPublish } from '../../functions/monitor/handler';
import { readCname } from '../../shared/aws/route53';
import { readParameterFresh } from '../../shared/aws/ssm';
import { databaseUrlTarget } from '../../shared/database-url';
import type { Receipt } from '../../shared/decisions/receipt';
import { calls } from '../../local/fault-proxy';
import type { FailoverBench } from '../../local/failover-bench';
import type { LocalExecution } from '../../local/state-machine';
import { failoverFixture, type BenchOptions } from '../harness/fixture';
import { AckedWriter } from '../../local/workload';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterContext } from '../../shared/config/cluster-context';
import { resolveWriter } from '../../shared/operators/resolve';

const MB = 1024 * 1024;

describe('automatic failover on the real topology', () => {
  const f = failoverFixture();
  let bench: FailoverBench;
  const start = async (options?: BenchOptions) => ({ bench } = await f.start(options));
  /** No round of the probe saw two writers, before or after the fence. */
  const expectOneWriterThroughout = async (execution: LocalExecution) => {
    const verdict = await f.expectNoSplitBrain(execution);
    expect(verdict.rounds.filter((r) => r.writable.length > 1)).toEqual([]);
  };

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
  /** The primary's region goes away: its network (the DR link with it) and both instances there. */
  const regionOutage = async () => {
    topology().links.standby_dr!.cut('reset');
    await stopInstances('primary', 'standby_az2');
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
  /**
   * Writes under monitoring for `ms`, so the writer's positions are published as in production;
   * returns once the monitor's last round has been published (before any fault is injected).
   */
  const writeWhileMonitored = async (writer: AckedWriter, ms: number) => {
    await writer.start();
    const monitor = sampleAndPublish({ samples: Math.ceil(ms / 250), intervalMs: 250 });
    await new Promise((r) => setTimeout(r, ms));
    await monitor;
  };
  let alarmClock = Date.now();
  const runFailover = async (options: { alarmClears?: boolean } = {}) => {
    // Each call is a new incident (a new alarm time, so a new execution name).
    alarmClock += 60000;
    const trigger = await bench.alarm(new Date(alarmClock));
    expect(trigger.started).toBe(true);
    if (options.alarmClears) await bench.setAlarm('OK');
    return bench.execution(trigger.executionName!);
  };

  it('promotes the synchronous standby when only the primary crashed, losing no acknowledged row', async () => {
    await start();
    const writer = new AckedWriter(appTarget('primary'));
    await writeWhileMonitored(writer, 1500);
    await stopInstances('primary');
    await writer.stop();

    const execution = await runFailover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = execution.output as Receipt;
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', previousPrimary: 'primary', alreadyPrimary: false });
    expect(await writable('standby_az2')).toBe(true);
    expect(await writable('standby_dr')).toBe(false);
    const { lost, acked } = await writer.lostOn(appTarget('standby_az2'));
    expect(acked).toBeGreaterThan(100);
    expect(lost).toBe(0);
    // Synchronous replication: at most the WAL of a transaction still in flight (never acknowledged).
    expect(receipt.dataLoss?.bytes).toBeLessThan(64 * 1024);
    const { record, urls } = await published();
    expect(record).toBe(node('standby_az2').dnsName);
    expect(urls.map((u) => u.port)).toEqual([node('standby_az2').port, node('standby_az2').port]);
    expect(receipt.steps.map((s) => s.step)).toEqual(['lease', 'outage', 'candidate', 'fence', 'promotion', 'databaseUrl', 'dns', 'followers']);
    // The DR replica follows the new writer on its timeline; no standby is left in its region, so
    // commits wait for none.
    expect(receipt.followers).toEqual([
      expect.objectContaining({ node: 'primary', outcome: 'skipped' }),
      expect.objectContaining({ node: 'standby_dr', outcome: 'streaming', repointed: true }),
    ]);
    expect(receipt).toMatchObject({ timeline: 2, synchronousStandbyNames: '' });
    const streaming = await topology().query<{ application_name: string }>('standby_az2', "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'");
    expect(streaming.map((r) => r.application_name)).toEqual(['standby_dr']);
    await expectOneWriterThroughout(execution);
  });

  it('promotes the DR replica in a region outage, fences the old primary and accounts for the async loss', async () => {
    // A guard wide enough for this burst: the point here is the loss accounting, not the refusal.
    await start({ mutate: (config) => Object.assign(config.clusters[0]!.policy, { maxLagBytes: 256 * MB, maxLagSeconds: 600 }) });
    topology().links.standby_dr!.setBandwidth(96 * 1024);
    const writer = new AckedWriter(appTarget('primary'), 2000);
    await writeWhileMonitored(writer, 3000);
    await regionOutage();
    await writer.stop();

    const execution = await runFailover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = execution.output as Receipt;
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr', previousPrimary: 'primary' });
    expect(receipt.reasons.join(' ')).toContain('region us-east-1');
    expect(await writable('standby_dr')).toBe(true);
    expect(await instanceState('primary')).toBe('stopped');
    expect(receipt.fencing).toMatchObject({ node: 'primary', fenced: true });
    const { record, urls } = await published();
    expect(record).toBe(node('standby_dr').dnsName);
    expect(urls.every((u) => u.host === node('standby_dr').host && u.port === node('standby_dr').port)).toBe(true);

    const { lost, acked } = await writer.lostOn(appTarget('standby_dr'));
    const loss = receipt.dataLoss!;
    // Real asynchronous loss, and a receipt that saw it: each lost row carried 2 kB of incompressible
    // payload. The receipt measures up to the last published writer position, so it may miss the
    // writes of the last sampling interval, never count more than was written.
    expect(lost).toBeGreaterThan(0);
    expect(loss.bytes).toBeGreaterThan(0);
    expect(loss.bytes).toBeLessThan((lost + 50) * 4 * 1024);
    expect(loss.bytes).toBeGreaterThan(lost * 2000 * 0.25);
    expect(loss.seconds).not.toBeNull();
    process.stdout.write(`region outage: ${lost} of ${acked} acked rows lost; receipt ${loss.bytes} bytes / ${loss.seconds} s\n`);
    await expectOneWriterThroughout(execution);
  });

  it('does not fail over on a false alarm and names the signal that vetoed', async () => {
    await start();

    const execution = await runFailover({ alarmClears: true });

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = execution.output as Receipt;
    expect(receipt.outcome).toBe('no-failover');
    expect(receipt.promoted).toBeNull();
    expect(receipt.reasons[0]).toMatch(/primary answers the database probe: no failover/);
    expect(await writable('primary')).toBe(true);
    expect(await writable('standby_az2')).toBe(false);
    expect(await instanceState('primary')).toBe('running');
    expect((await published()).record).toBe(node('primary').dnsName);
    await expectOneWriterThroughout(execution);
  });

  it('refuses a DR replica still following a writer the record no longer names, and with data loss accepted promotes it saying its loss is not measured', async () => {
    // The record moves to standby_az2 (promoted by hand, recorded by `pgfo resolve`) while the DR
    // still follows the stopped primary on timeline 1; then standby_az2 is lost too.
    await start({ probe: false });
    const writer = new AckedWriter(appTarget('primary'), 2000);
    await writeWhileMonitored(writer, 1000);
    await writer.stop();
    await stopInstances('primary');
    await topology().query('standby_az2', 'SELECT pg_promote(true, 30)');
    const resolved = await resolveWriter(clusterContext(cluster().name), { node: 'standby_az2', by: 'test', reason: 'promoted by hand' });
    expect(resolved).toMatchObject({ outcome: 'resolved', writer: 'standby_az2', timeline: 2 });
    // A little WAL on timeline 2 that the DR never gets.
    await topology().query('standby_az2', 'CREATE TABLE after_fork AS SELECT g FROM generate_series(1, 1000) AS g');
    f.s.startProbe();
    await stopInstances('standby_az2');

    const refused = await runFailover();

    expect(refused.status).toBe('SUCCEEDED');
    const receipt = refused.output as Receipt;
    expect(receipt.outcome).toBe('refused');
    expect(receipt.reasons.join('; ')).toMatch(/standby_dr streams from primary, not from standby_az2 .*: not a candidate/);
    expect(await writable('standby_dr')).toBe(false);

    const accepted = await f.s.manualFailover({ acceptDataLoss: true });

    expect(accepted.status).toBe('SUCCEEDED');
    const promoted = accepted.output as Receipt;
    expect(promoted).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr', previousPrimary: 'standby_az2' });
    expect(promoted.reasons.join('; ')).toMatch(/standby_dr chosen with data loss accepted by the operator, although standby_dr streams from primary, not from standby_az2: .*the loss is not measured/);
    expect(promoted.dataLoss?.basis).toBe('not comparable: standby_dr streams from primary, not from standby_az2');
    expect(await writable('standby_dr')).toBe(true);
    await expectOneWriterThroughout(accepted);
  });

  it('holds off while the primary answers only "cannot connect now" (57P03) within the grace, then fails over', async () => {
    await start({ mutate: (config) => (config.clusters[0]!.policy.startingUpGraceSeconds = 4) });
    // The primary comes back in recovery with hot standby off: it answers every connection with
    // 57P03 "the database system is not accepting connections" and will never serve writes.
    const standbySignal = join(topology().nodes.primary!.dataDir, 'standby.signal');
    await topology().query('primary', 'ALTER SYSTEM SET hot_standby = off');
    await topology().stop('primary');
    writeFileSync(standbySignal, '');
    try {
      await topology().start('primary');
      await expect(topology().query('primary', 'SELECT 1')).rejects.toMatchObject({ code: '57P03' });

      const execution = await runFailover();

      expect(execution.status).toBe('SUCCEEDED');
      const receipt = execution.output as Receipt;
      const probe = receipt.outageChecks.map((c) => c.signals.find((x) => x.startsWith('database:')));
      // Vetoed while within the grace, then counted as down (never anything else in between).
      expect(probe[0]).toBe('database: up (starting-up)');
      expect(probe.at(-1)).toBe('database: down (starting-up-too-long)');
      expect(new Set(probe)).toEqual(new Set(['database: up (starting-up)', 'database: down (starting-up-too-long)']));
      expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', previousPrimary: 'primary' });
      expect(await instanceState('primary')).toBe('stopped');
      await expectOneWriterThroughout(execution);
    } finally {
      rmSync(standbySignal, { force: true });
    }
  });

  it('refuses a DR replica over the lag cap, says by how much, and leaves every node and record as it was', async () => {
    await start({ mutate: (config) => (config.clusters[0]!.policy.maxLagBytes = 1 * MB) });
    topology().links.standby_dr!.setBandwidth(32 * 1024);
    const writer = new AckedWriter(appTarget('primary'), 4000);
    await writeWhileMonitored(writer, 2500);
    // A burst the throttled link cannot carry in time, whatever the writer's rate on a loaded machine:
    // about 3 MB of WAL, then the monitor publishes the writer's position past it.
    await topology().query('primary', 'CREATE TABLE lag_burst (id int, pad text)');
    await topology().query('primary', 'ALTER TABLE lag_burst ALTER COLUMN pad SET STORAGE EXTERNAL');
    await topology().query('primary', "INSERT INTO lag_burst SELECT g, string_agg(md5(random()::text || g || h), '') FROM generate_series(1, 1500) AS g, generate_series(1, 60) AS h GROUP BY g");
    await sampleAndPublish({ samples: 2, intervalMs: 250 });
    await regionOutage();
    await writer.stop();

    const execution = await runFailover();

    expect(execution.status).toBe('SUCCEEDED');
    const receipt = execution.output as Receipt;
    expect({ outcome: receipt.outcome, reasons: receipt.reasons }).toMatchObject({ outcome: 'refused' });
    expect(receipt.reasons.join('; ')).toMatch(/standby_dr is [\d.]+ MB behind \(cap 1\.0 MB\)/);
    expect(await writable('standby_dr')).toBe(false);
    expect((await published()).record).toBe(node('primary').dnsName);
    expect((await published()).urls.every((u) => u.port === node('primary').port)).toBe(true);
    expect((receipt as Receipt & { notificationErrors: string[] }).notificationErrors).toEqual([]);
    await expectOneWriterThroughout(execution);
  });

  it('promotes exactly once when alarms arrive twice at once and an event is delivered twice', async () => {
    await start();
    await stopInstances('primary');
    const at = new Date();

    const [first, duplicate, second] = await Promise.all([bench.alarm(at), bench.alarm(at), bench.alarm(new Date(at.getTime() + 1000))]);

    expect([first.started, duplicate.started].sort()).toEqual([false, true]);
    expect(second.started).toBe(true);
    const executions = await Promise.all([...bench.machine.executions().values()]);
    expect(executions).toHaveLength(2);
    const outputs = executions.map((e) => e.output as Record<string, unknown>);
    const promoted = outputs.filter((o) => o.outcome === 'promoted');
    expect(promoted).toHaveLength(1);
    expect(promoted[0]!.alreadyPrimary).toBe(false);
    const other = outputs.find((o) => o.outcome !== 'promoted')!;
    // The execution that found the lease taken ends with a receipt too, saying why.
    expect(other).toMatchObject({ outcome: 'lease-held', promoted: null, reasons: [expect.stringMatching(/holds the lease|cooling down/)] });
    // One promotion: the node writes on timeline 2 (a second promotion would have made it 3).
    const wal = await topology().query<{ tli: string }>('standby_az2', 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli');
    expect(await writable('standby_az2')).toBe(true);
    expect(wal[0]?.tli).toBe('00000002');
    const promotedRun = executions.find((e) => (e.output as Record<string, unknown>).outcome === 'promoted')!;
    await expectOneWriterThroughout(promotedRun);
  });

  it('retries a Route 53 call that fails once and completes', async () => {
    await start();
    await stopInstances('primary');
    const rule = bench.faults.fail({ match: calls.route53Change, status: 503, times: 1 });

    const execution = await runFailover();

    expect(execution.status).toBe('SUCCEEDED');
    expect(rule.times).toBe(0);
    expect(execution.states.find((s) => s.name === 'RepointDns')?.retries).toBeGreaterThanOrEqual(1);
    expect((await published()).record).toBe(node('standby_az2').dnsName);
    await expectOneWriterThroughout(execution);
  });

  it('fails with a named error when SSM keeps failing, and a re-run completes without promoting again', async () => {
    await start();
    await stopInstances('primary');
    bench.faults.fail({ match: calls.ssmPut, status: 503, times: Infinity });

    const failed = await runFailover();

    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('AwsTransientError');
    expect(failed.cause).toMatch(/ssm:PutParameter/);
    expect(await writable('standby_az2')).toBe(true);
    expect((await published()).record).toBe(node('standby_az2').dnsName);
    expect((await published()).urls.every((u) => u.port === node('primary').port)).toBe(true);

    bench.faults.clear();
    const rerun = await runFailover();

    expect(rerun.status).toBe('SUCCEEDED');
    const receipt = rerun.output as Receipt;
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2', alreadyPrimary: true });
    expect((await published()).urls.every((u) => u.port === node('standby_az2').port)).toBe(true);
    await expectOneWriterThroughout(rerun);
  });
});
