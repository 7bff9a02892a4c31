import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { convergeDnsInput, PASS_INTERVAL_SECONDS, PASSES_PER_INVOCATION } from '../../functions/failover/converge-dns';
import { restartStrandedAlarm } from '../../shared/actions/restart-incident';
import { EXAMPLE_CONFIG_FILE, loadConfigFile } from '../../shared/config/load';
import type { ClusterRecord } from '../../shared/decisions/cluster-record';
import type { ExecutionSeen } from '../../shared/decisions/reconcile';
import { aRecord } from '../fixtures/topology';

const cloudWatch = mockClient(CloudWatchClient);
const config = loadConfigFile(EXAMPLE_CONFIG_FILE);
const cluster = config.clusters[0]!;
const SINCE = new Date('2026-12-06T03:00:00.000Z');
const NOW = Date.parse('2026-12-06T03:10:00.000Z');

/** The convergence's view of a stranded alarm: in ALARM since SINCE, the lease free, nothing paused. */
const restart = (
  start: (name: string) => { started: boolean },
  executions: ExecutionSeen[] = [],
  options: { records?: () => Promise<ClusterRecord | null>; stackRegion?: string } = {},
) => {
  const asked: Array<{ cluster: string; since: number }> = [];
  const outcome = restartStrandedAlarm(
    { config: { ...config, controlRegion: options.stackRegion ?? config.controlRegion }, cluster, alarmPrefix: 'pgfo-test' },
    {
      leases: { read: async () => ({}) },
      records: { read: options.records ?? (async () => null) },
      start: async (name) => start(name),
      executions: async (c, since) => (asked.push({ cluster: c, since }), executions),
    },
    NOW,
  );
  return { outcome, asked };
};

describe('the restart of a stranded alarm', () => {
  beforeEach(() => {
    cloudWatch.reset();
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ StateValue: 'ALARM', StateUpdatedTimestamp: SINCE }] });
  });

  it('records "started" for the execution it started, asking for the executions of this cluster since the alarm entered ALARM', async () => {
    const { outcome, asked } = restart(() => ({ started: true }));
    const out = await outcome;
    expect(out).toMatchObject({ start: true, started: true, receipt: { repair: 'failover', outcome: 'started' } });
    expect(out.receipt?.target).toBe(out.executionName);
    expect(asked).toEqual([{ cluster: cluster.name, since: SINCE.getTime() }]);
  });

  it('an execution of the same name already started (another pass started this incident) is not a failure', async () => {
    const out = await restart(() => ({ started: false })).outcome;
    expect(out.receipt).toMatchObject({ outcome: 'already-started', reasons: [expect.any(String), expect.stringMatching(/was already started \(same name\): nothing more to do$/)] });
  });

  it('starts nothing while the episode backs off after its last incident', async () => {
    let starts = 0;
    const ended = (i: number): ExecutionSeen => ({ name: `${cluster.name}-alarm-${i}`, status: 'SUCCEEDED', startedAt: NOW - 20_000 + i, stoppedAt: NOW - 10_000 + i });
    const out = await restart(() => ((starts += 1), { started: true }), [ended(1), ended(2)]).outcome;
    expect(out).toMatchObject({ start: false, held: true, reason: expect.stringMatching(/backing off until/) });
    expect(starts).toBe(0);
  });
});

describe('the restart in a control plane of two regions', () => {
  beforeEach(() => {
    cloudWatch.reset();
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ StateValue: 'ALARM', StateUpdatedTimestamp: SINCE }] });
  });
  const drWriter = async () => aRecord({ writer: 'standby_dr' });

  it('starts nothing in the stack of the recorded writer\'s region, and the stack in the other region does', async () => {
    let starts = 0;
    const passive = await restart(() => ((starts += 1), { started: true }), [], { records: drWriter }).outcome;
    expect(passive).toEqual({ start: false, reason: 'orders: the stack in us-west-2 is passive (recorded writer standby_dr is in us-west-2, the same region): us-east-2 arbitrates' });
    expect(starts).toBe(0);
    expect(cloudWatch.calls()).toHaveLength(0);
    expect(await restart(() => ({ started: true }), [], { records: drWriter, stackRegion: 'us-east-2' }).outcome).toMatchObject({ start: true, started: true });
  });

  it('starts nothing when the cluster record cannot be read (no proof that this stack may)', async () => {
    const out = await restart(() => ({ started: true }), [], { records: () => Promise.reject(new Error('dynamodb:GetItem record orders failed: timeout')) }).outcome;
    expect(out).toEqual({ start: false, reason: 'orders: the cluster record could not be read from us-west-2: dynamodb:GetItem record orders failed: timeout' });
  });
});

describe('the convergence schedule', () => {
  it('makes PASSES_PER_INVOCATION passes on the schedule\'s own event, one on an explicit request', () => {
    expect(convergeDnsInput.parse({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toEqual({ passes: PASSES_PER_INVOCATION });
    expect(convergeDnsInput.parse({ cluster: 'orders' })).toEqual({ cluster: 'orders', passes: 1 });
    expect(() => convergeDnsInput.parse({ passes: PASSES_PER_INVOCATION + 1 })).toThrow();
  });

  it('fits its passes in the function\'s 55 s timeout, each well within the 60 s goal of the one before', () => {
    expect((PASSES_PER_INVOCATION - 1) * PASS_INTERVAL_SECONDS + 5).toBeLessThan(55);
    expect(PASS_INTERVAL_SECONDS * 2).toBeLessThanOrEqual(60);
  });
});
