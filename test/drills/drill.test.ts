import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDrill } from '../../drill';
import type { DrillReport } from '../../drill/drill-report';
import { aConfig } from '../fixtures/config';
import { resetEmulator } from '../../local/emulator';
import { freeLoopbackPort } from '../../local/pg-node';

/**
 * A drill configuration that runs in well under a minute: the shortest alarm the schema allows
 * (1 of 1 periods of 10 s), a 1 s re-check and short invocations, on free ports. Shortened in the
 * configuration, as a user would with --config; nothing in the drill is faked for the test.
 */
const fastConfigFile = async (dir: string, { defaultChecks = false } = {}): Promise<string> => {
  const config = aConfig();
  const cluster = config.clusters[0]!;
  Object.assign(cluster.alarms, { periodSeconds: 10, evaluationPeriods: 1, datapointsToAlarm: 1 });
  Object.assign(cluster.policy, { recheckAfterSeconds: 1, metricStaleSeconds: 10, dnsSyncTimeoutSeconds: 10 });
  // The transient faults are judged by the default re-check and staleness, which they must not outlast.
  if (defaultChecks) Object.assign(cluster.policy, { recheckAfterSeconds: undefined, metricStaleSeconds: undefined });
  cluster.monitor.samplesPerInvocation = 2;
  for (const node of cluster.nodes) node.port = await freeLoopbackPort();
  const file = join(dir, defaultChecks ? 'drill-default-checks.json' : 'drill.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
};

/** Route 53 PENDING, shortened like the rest (the drill's default is 60 s, AWS's documented bound). */
const DNS_PENDING_MS = 3000;

const isMs = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** The report contract of --json: every field present and typed, numbers consistent. */
const expectReportContract = (report: DrillReport) => {
  expect(['promoted', 'not-promoted']).toContain(report.outcome);
  expect(report.promoted === null || typeof report.promoted === 'string').toBe(true);
  expect(report.outcome === 'promoted').toBe(report.promoted !== null);
  expect(report.reasons.length).toBeGreaterThan(0);
  expect(report.reasons.every((r) => typeof r === 'string')).toBe(true);
  expect(report.timeline.length).toBeGreaterThan(3);
  for (const step of report.timeline) {
    expect(typeof step.step).toBe('string');
    expect(isMs(step.startMs) && isMs(step.endMs) && step.endMs >= step.startMs).toBe(true);
    expect(step.endMs).toBeLessThanOrEqual(report.durationMs);
  }
  expect(isMs(report.faultAtMs)).toBe(true);
  expect(isMs(report.detectionMs)).toBe(true);
  expect(report.faultAtMs! + report.detectionMs!).toBeLessThanOrEqual(report.durationMs);
  expect(report.rtoMs === null || isMs(report.rtoMs)).toBe(true);
  expect(isMs(report.appDowntimeMs)).toBe(true);
  expect(Number.isInteger(report.rpo.ackedRowsLost) && report.rpo.ackedRowsLost! >= 0).toBe(true);
  expect(report.rpo.ackedRows).toBeGreaterThan(0);
  expect(report.rpo.ackedRowsLost!).toBeLessThanOrEqual(report.rpo.ackedRows);
  expect(report.dns).toEqual({ record: 'db.orders.internal', target: expect.any(String) });
  expect(report.ssm).toHaveLength(2);
  for (const p of report.ssm) expect(p).toEqual({ region: expect.any(String), name: expect.any(String), host: '127.0.0.1', port: expect.any(Number) });
  expect(typeof report.oldPrimaryFenced).toBe('boolean');
  expect(report.alarm.transitions.map((t) => t.to)).toContain('ALARM');
  expect(report.series.primaryReachable.length).toBeGreaterThan(0);
};

describe('the drill, run programmatically against the real topology and the emulator', () => {
  let dir: string;
  let configFile: string;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgfo-drill-test-'));
    configFile = await fastConfigFile(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    lines.length = 0;
    await resetEmulator(process.env.AWS_ENDPOINT_URL!);
  });

  const drill = (scenario: DrillReport['scenario']) =>
    runDrill({
      scenario,
      configFile,
      emulatorEndpoint: process.env.AWS_ENDPOINT_URL!,
      jsonFile: join(dir, `${scenario}.json`),
      htmlFile: join(dir, `${scenario}.html`),
      print: (line) => lines.push(line),
      dnsPendingMs: DNS_PENDING_MS,
    });

  it("region isolated while its hosts run: the old writer's agent stops it within the lease, then the DR is promoted; never two writers", async () => {
    const report = await drill('region-isolated');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report).toMatchObject({ scenario: 'region-isolated', outcome: 'promoted', promoted: 'standby_dr' });
    expect(report.reasons.join('; ')).toMatch(/writer lease expired/);
    expect(lines.join('\n')).toMatch(/primary's agent stopped it [\d.]+ s after the isolation/);
  }, 300000);

  it('region outage: promotes the DR replica, fences the old primary, and measures what the application saw', async () => {
    const report = await drill('region-outage');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expectReportContract(report);
    expect(report).toMatchObject({ scenario: 'region-outage', outcome: 'promoted', promoted: 'standby_dr', oldPrimaryFenced: true });
    expect(report.dns.target).toBe('pg-dr.usw2.orders.internal');
    const dr = JSON.parse(readFileSync(configFile, 'utf8')).clusters[0].nodes[2];
    expect(report.ssm.every((p) => p.port === dr.port)).toBe(true);
    expect(report.rtoMs).not.toBeNull();
    expect(report.rtoMs!).toBeGreaterThanOrEqual(report.detectionMs!);
    expect(report.appDowntimeMs).toBeGreaterThan(0);
    expect(report.app).toMatchObject({ interrupted: true, recovered: true });
    expect(report.app.urlReads).toBeGreaterThan(1);
    expect(report.nodes.map((n) => [n.name, n.observed])).toEqual([['primary', 'down'], ['standby_az2', 'down'], ['standby_dr', 'writable']]);
    expect(report.timeline.map((s) => s.step)).toEqual(
      expect.arrayContaining(['stack up', 'fault', 'detection', 'PromoteCandidate', 'RewriteDatabaseUrl', 'RepointDns', 'DNS propagation (Route 53 PENDING → INSYNC)', 'teardown']),
    );
    const propagation = report.timeline.find((s) => s.step.startsWith('DNS propagation'))!;
    expect(propagation.endMs - propagation.startMs).toBe(DNS_PENDING_MS);
    expect(report.dnsModel).toEqual({ pendingMs: DNS_PENDING_MS, ttlSeconds: 30, pending: null });
    expect(report.dnsRtoMs).toBe(propagation.endMs + 30_000 - report.faultAtMs!);
    expect(JSON.parse(readFileSync(join(dir, 'region-outage.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(readFileSync(join(dir, 'region-outage.html'), 'utf8')).toContain('<svg ');
    expect(lines.some((l) => /\] fault: region us-east-1 lost/.test(l))).toBe(true);
  }, 150_000);

  it('primary stall: every PostgreSQL process frozen for 20 s, the alarm firing in the middle; with the default checks nothing is promoted', async () => {
    const report = await runDrill({
      scenario: 'primary-stall',
      configFile: await fastConfigFile(dir, { defaultChecks: true }),
      emulatorEndpoint: process.env.AWS_ENDPOINT_URL!,
      print: (line) => lines.push(line),
      // Half a period after the alarm's evaluation: it fires about 15 s into the stall, while the primary is still frozen.
      faultDelayMs: 5000,
    });

    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ scenario: 'primary-stall', passed: true, outcome: 'not-promoted', promoted: null, oldPrimaryFenced: false });
    expect(report.detectionMs).not.toBeNull();
    expect(report.detectionMs!).toBeLessThan(20_000);
    expect(report.reasons.join('\n')).toMatch(/primary answers the database probe: no failover/);
    expect(report.rpo.ackedRowsLost).toBe(0);
    expect(report.nodes.map((n) => [n.name, n.observed])).toEqual([['primary', 'writable'], ['standby_az2', 'standby'], ['standby_dr', 'standby']]);
    // The split-brain probe ran through the whole drill: never a second writer.
    expect(report.probe!.rounds).toBeGreaterThan(10);
    expect(report.probe!.maxWriters).toBe(1);
  }, 150_000);

  it('false alarm: the monitor loses sight of a healthy primary; nothing is promoted and the application never notices', async () => {
    const report = await drill('false-alarm');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expectReportContract(report);
    expect(report).toMatchObject({ outcome: 'not-promoted', promoted: null, rtoMs: null, appDowntimeMs: 0, oldPrimaryFenced: false });
    expect(report.reasons[0]).toMatch(/primary answers the database probe: no failover/);
    expect(report.rpo.ackedRowsLost).toBe(0);
    expect(report.dns.target).toBe('pg-primary.use1.orders.internal');
    expect(report.app).toMatchObject({ interrupted: false, failures: 0, urlReads: 1 });
    expect(report.nodes.find((n) => n.name === 'primary')?.observed).toBe('writable');
  }, 150_000);

  it('dns-down: Route 53 fails for good; the application moves through DATABASE_URL, the receipt says DNS pending, and the record converges when Route 53 answers', async () => {
    const report = await drill('dns-down');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expectReportContract(report);
    expect(report).toMatchObject({ scenario: 'dns-down', outcome: 'promoted', promoted: 'standby_dr', oldPrimaryFenced: true });
    expect(report.dnsModel.pending).toMatch(/^DNS pending: AwsTransientError: route53:ChangeResourceRecordSets/);
    expect(report.reasons).toContain(report.dnsModel.pending);
    expect(report.app).toMatchObject({ interrupted: true, recovered: true });
    // The record moved only after the fault ended, long after the application had.
    expect(report.dns.target).toBe('pg-dr.usw2.orders.internal');
    const faultEnds = report.timeline.find((s) => s.step === 'fault ends')!;
    expect(report.faultAtMs! + report.rtoMs!).toBeLessThan(faultEnds.startMs);
    expect(report.faultAtMs! + report.dnsRtoMs!).toBeGreaterThan(faultEnds.endMs);
    expect(lines.some((l) => /fault ends: Route 53 answers again: the scheduled convergeDns applied pg-dr\.usw2\.orders\.internal/.test(l))).toBe(true);
    expect(report.convergence).toMatchObject({ dependency: 'Route 53', invocations: expect.any(Number) });
  }, 200_000);

  it('ssm-region-down: SSM in the DR region refuses during the failover; once it answers, the scheduled convergence writes every DATABASE_URL to the new writer without a person', async () => {
    const report = await drill('ssm-region-down');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expectReportContract(report);
    expect(report).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2' });
    expect(report.reasons.join('; ')).toMatch(/DATABASE_URL written in us-east-1 .*; not written in us-west-2 /);
    // The workflow failed and no one re-ran it: the schedule wrote us-west-2 (problems above: every DATABASE_URL names the writer).
    expect(lines.some((l) => /failover workflow: FAILED, AwsTransientError/.test(l))).toBe(true);
    expect(report.convergence).toMatchObject({ dependency: 'SSM in us-west-2', urlsOnWriterMs: expect.any(Number), invocations: expect.any(Number) });
    expect(report.app).toMatchObject({ parameter: { region: 'us-west-2' }, interrupted: true, recovered: true });
    expect(report.rpo.ackedRowsLost).toBe(0);
  }, 200_000);

  it('dependency-blip: DynamoDB fails for 20 s as the alarm fires; the execution fails, and once DynamoDB answers the scheduled convergence starts the failover, which promotes', async () => {
    const report = await drill('dependency-blip');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expectReportContract(report);
    expect(report).toMatchObject({ outcome: 'promoted', promoted: 'standby_az2' });
    expect(lines.some((l) => /failover workflow: FAILED, AwsTransientError/.test(l))).toBe(true);
    expect(report.convergence).toMatchObject({ dependency: expect.stringMatching(/^DynamoDB in /), startedBy: 'convergence', failoverStartedMs: expect.any(Number) });
    expect(report.rpo.ackedRowsLost).toBe(0);
  }, 200_000);

  it('fence refused: the primary cut off from everyone else with StopInstances denied stays the one writer; nothing is promoted and the receipt asks a person', async () => {
    const report = await drill('fence-refused');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report).toMatchObject({ outcome: 'not-promoted', promoted: null, oldPrimaryFenced: false });
    expect(report.reasons.join('; ')).toMatch(/EC2 refused: .*UnauthorizedOperation[\s\S]*not proceeding .*a person must decide/);
    expect(report.rpo.ackedRowsLost).toBe(0);
    expect(report.nodes.map((n) => [n.name, n.observed])).toEqual([['primary', 'writable'], ['standby_az2', 'standby'], ['standby_dr', 'standby']]);
  }, 200_000);

  it('partition between the regions: nothing promoted, nothing fenced, the application keeps writing to the primary', async () => {
    const report = await drill('partition');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report).toMatchObject({ outcome: 'not-promoted', promoted: null, oldPrimaryFenced: false });
    expect(report.reasons.join('; ')).toMatch(/standbys: unknown \(only standbys in other regions answered[\s\S]*a person must decide/);
    expect(report.app).toMatchObject({ interrupted: false });
    expect(report.nodes.map((n) => [n.name, n.observed])).toEqual([['primary', 'writable'], ['standby_az2', 'standby'], ['standby_dr', 'standby']]);
  }, 200_000);

  it('control-partition: the control region loses every path into a healthy primary region (EC2 API included): the witness sees the primary alive, nothing promoted or fenced, the application keeps writing', async () => {
    const report = await drill('control-partition');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report).toMatchObject({ outcome: 'not-promoted', promoted: null, oldPrimaryFenced: false });
    expect(report.reasons.join('; ')).toMatch(/ec2: down \(EC2 API in us-east-1 did not answer[\s\S]*no cross-region promotion: the witness sees the writer alive/);
    expect(report.app).toMatchObject({ interrupted: false });
    expect(report.nodes.map((n) => [n.name, n.observed])).toEqual([['primary', 'writable'], ['standby_az2', 'standby'], ['standby_dr', 'standby']]);
  }, 200_000);

  it('sync-standby-loss: commits resume without the lost synchronous standby, nothing is promoted, and it is synchronous again once back', async () => {
    const report = await drill('sync-standby-loss');

    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ passed: true, outcome: 'not-promoted', promoted: null, oldPrimaryFenced: false });
    // The report's fault step: the stall, the degradation as recorded, the restore.
    expect(lines.some((l) => /\] fault: instance of standby_az2 stopped: commits on primary stalled .* then resumed with no synchronous standby \(recorded since .+\); standby_az2 started again: synchronous again, recorded/.test(l))).toBe(true);
    expect(report.rpo.ackedRowsLost).toBe(0);
    expect(report.nodes.map((n) => [n.name, n.observed])).toEqual([['primary', 'writable'], ['standby_az2', 'standby'], ['standby_dr', 'standby']]);
  }, 200_000);

  it('second-failover: crash, then the new writer\'s crash; the DR holds every row it received, the failed writer is fenced, the configuration never edited', async () => {
    const report = await drill('second-failover');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expectReportContract(report);
    expect(report.legs.map((l) => [l.name, l.writerBefore, l.writerAfter, l.writerTimeline, l.fenced])).toEqual([
      ['primary crash', 'primary', 'standby_az2', 2, 'primary'],
      ['new writer’s host dies', 'standby_az2', 'standby_dr', 3, 'standby_az2'],
    ]);
    expect(report.legs[0]!.rpo.ackedRowsLost).toBe(0);
    const second = report.legs[1]!;
    expect(second.rpo.ackedRows).toBeGreaterThan(0);
    expect(second.rpo.ackedRowsLost! * 1000).toBeLessThanOrEqual(second.rpo.receiptUpperBoundBytes ?? second.rpo.receiptBytes ?? 0);
    for (const leg of report.legs) {
      expect(leg.timeline.map((s) => s.step)).toEqual(expect.arrayContaining(['detection', 'FencePrimary', 'PromoteCandidate']));
      expect(leg.timeline.every((s) => s.startMs >= leg.startMs)).toBe(true);
    }
    expect(report.dns.target).toBe('pg-dr.usw2.orders.internal');
    expect(report.nodes.map((n) => [n.name, n.observed, n.timeline])).toEqual([['primary', 'down', null], ['standby_az2', 'down', null], ['standby_dr', 'writable', 3]]);
    expect(report.probe!.maxWriters).toBe(1);
    expect(report.shortened.some((s) => /^policy cooldownSeconds: 10 s instead of 900 s/.test(s))).toBe(true);
    expect(readFileSync(join(dir, 'second-failover.html'), 'utf8')).toContain('<h2>Leg 2: new writer’s host dies</h2>');
  }, 300_000);

  it('double-region: two control planes on one store; the primary region lost (one stack acts, the other is held), rejoined, then the DR region lost with its control plane: the other stack promotes in us-east-1', async () => {
    const report = await drill('double-region');

    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.legs.map((l) => [l.name, l.writerBefore, l.alarmDriven])).toEqual([
      ['primary region lost', 'primary', true],
      ['region returns', 'standby_dr', false],
      ['rejoin', 'standby_dr', false],
      ['DR region lost with its control plane', 'standby_dr', true],
    ]);
    const [first, , , last] = report.legs;
    expect(first!.writerAfter).toBe('standby_dr');
    expect(['us-west-2', 'us-east-2']).toContain(first!.actedBy);
    // Each stack was alarmed; the one that did not act was held by the other's lease (or passive once the DR wrote).
    expect(first!.stacks!.filter((t) => t.outcome === 'promoted')).toEqual([{ region: first!.actedBy, execution: expect.any(String), outcome: 'promoted' }]);
    expect(first!.stacks!.every((t) => ['promoted', 'lease-held', 'passive'].includes(t.outcome))).toBe(true);
    expect(last!.actedBy).toBe('us-east-2');
    expect(last!.stacks!.map((t) => t.region)).toEqual(['us-east-2']);
    expect(['primary', 'standby_az2']).toContain(last!.writerAfter);
    // The RTO against the 30 s goal is reported per leg (a figure of the machine, not asserted here).
    for (const leg of [first!, last!]) expect(leg).toMatchObject({ rtoMs: expect.any(Number), rtoGoalMs: 30_000, withinRtoGoal: leg.rtoMs! <= 30_000 });
    expect(report.probe!.rounds).toBeGreaterThan(10);
    expect(report.probe!.maxWriters).toBe(1);
    expect(lines.some((l) => /control plane in us-west-2 down/.test(l))).toBe(true);
  }, 600_000);
});
