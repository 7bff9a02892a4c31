import { performance } from 'node:perf_hooks';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { sampleAndPublish } from '../functions/monitor/handler';
import { resetClients } from '../shared/aws/clients';
import { cloudWatchClient } from '../shared/aws/clients/cloudwatch';
import { configuredPrimary } from '../shared/config/cluster-context';
import { dynamoClient } from '../shared/aws/clients/dynamodb';
import { ec2Client } from '../shared/aws/clients/ec2';
import { eventBridgeClient } from '../shared/aws/clients/eventbridge';
import { route53Client } from '../shared/aws/clients/route53';
import { ssmClient } from '../shared/aws/clients/ssm';
import { instanceState } from '../shared/aws/ec2';
import { LeaseStore } from '../shared/aws/lease';
import { readCname } from '../shared/aws/route53';
import { readParameterFresh, readSecureString } from '../shared/aws/ssm';
import { loadConfig } from '../shared/config/load';
import { leaseTableName } from '../shared/workflow/environment';
import type { Receipt } from '../shared/decisions/receipt';
import { resetEmulator } from '../local/emulator';
import { startFailoverBench, type FailoverBench } from '../local/failover-bench';
import { printTimeline, profileCalls, type ProfiledCall } from './call-profile';
import { floorClients, runFloor, type FloorClients } from './failover-floor';

/** The candidate a primary crash promotes: the in-region synchronous standby. */
export const CANDIDATE = 'standby_az2';

/** What one side made: AWS API calls, database connections and queries. */
export interface CallCounts {
  aws: number;
  pgConnects: number;
  pgQueries: number;
}

const countCalls = (calls: ProfiledCall[]): CallCounts => ({
  aws: calls.filter((c) => c.kind === 'aws').length,
  pgConnects: calls.filter((c) => c.kind === 'pg-connect').length,
  pgQueries: calls.filter((c) => c.kind === 'pg-query').length,
});

export interface FloorRun {
  ms: number;
  parts: Array<{ name: string; ms: number }>;
  promoteSlackMs: number;
  calls: CallCounts;
}

export interface StateTiming {
  name: string;
  ms: number;
  awsCalls: number;
  pgConnects: number;
}

export interface FullRun {
  ms: number;
  states: StateTiming[];
  receipt: Receipt;
  calls: CallCounts;
  /** Time spent in each kind of outside call (AWS operation, connect, query), summed over the run. */
  byCall: Array<{ name: string; ms: number; count: number }>;
}

/** Outside calls grouped by what they were (connections and queries by kind, not by port). Pure. */
export const callsByKind = (calls: ProfiledCall[]): FullRun['byCall'] => {
  const groups = new Map<string, { ms: number; count: number }>();
  for (const call of calls) {
    const name = call.kind === 'aws' ? call.what : call.kind === 'pg-connect' ? 'pg connect' : `pg ${call.what.replace(/^:\d+ /, '').slice(0, 30)}`;
    const group = groups.get(name) ?? { ms: 0, count: 0 };
    groups.set(name, { ms: group.ms + call.ms, count: group.count + 1 });
  }
  return [...groups].map(([name, g]) => ({ name, ...g }));
};

/** Zero confirmation waits, set in the configuration (never in the definition). */
const zeroWaits = (config: { clusters: Array<{ policy: { recheckAfterSeconds: number } }> }) => {
  for (const cluster of config.clusters) cluster.policy.recheckAfterSeconds = 0;
};

/**
 * The same warm start for both sides: every AWS client the failover uses has made one call, the
 * configuration is loaded and the failover password cached, as in warm Lambda containers. Cold
 * starts are measured on their own (cold-start.ts).
 */
const warmControlPlane = async (bench: FailoverBench): Promise<void> => {
  const config = loadConfig();
  const cluster = bench.stack.cluster();
  const regions = [...new Set(cluster.nodes.map((n) => n.region))];
  await Promise.all([
    readSecureString(ssmClient(config.controlRegion), config.controlRegion, cluster.credentials.failover.passwordParameter),
    ...cluster.databaseUrlParameters.map((p) => readParameterFresh(ssmClient(p.region), p.region, p.name)),
    ...regions.map((region) => instanceState(ec2Client(region), cluster.nodes.find((n) => n.region === region)!.instanceId)),
    readCname(route53Client(), cluster.route53.hostedZoneId, cluster.route53.recordName),
    new LeaseStore(dynamoClient(config.controlRegion), leaseTableName()).read('bench-warm-up'),
    eventBridgeClient(config.controlRegion).send(new ListEventBusesCommand({})),
    cloudWatchClient(config.controlRegion).send(new ListMetricsCommand({ Namespace: config.namespace })),
  ]);
};

const warmFloor = async (clients: FloorClients, bench: FailoverBench): Promise<void> => {
  const cluster = bench.stack.cluster();
  await Promise.all([
    readCname(clients.route53, cluster.route53.hostedZoneId, cluster.route53.recordName),
    ...cluster.databaseUrlParameters.map((p) => readParameterFresh(clients.ssm(p.region), p.region, p.name)),
  ]);
};

/** A fresh topology with the writer's positions published, then the primary's instance stopped. */
const stageCrash = async (): Promise<FailoverBench> => {
  const emulator = process.env.AWS_ENDPOINT_URL!;
  await resetEmulator(emulator);
  const bench = await startFailoverBench({ mutate: zeroWaits });
  try {
    // No faults are injected here: both sides talk to the emulator directly, not through the
    // bench's fault proxy (an extra HTTP hop in this very process for every AWS call).
    process.env.AWS_ENDPOINT_URL = emulator;
    resetClients();
    await sampleAndPublish({ samples: 2, intervalMs: 200 });
    const primary = configuredPrimary(bench.stack.cluster());
    await new EC2Client({ region: primary.region }).send(new StopInstancesCommand({ InstanceIds: [primary.instanceId] }));
    await bench.power.settle();
    // Nothing else polls the emulator while a side is timed: neither the power poller nor the boot
    // watcher (each asks EC2 every 200 ms; the emulator serves one request at a time, so their
    // calls would queue in front of the timed side's own).
    bench.power.stop();
    await bench.boot.pause();
    return bench;
  } catch (error) {
    await bench.teardown();
    throw error;
  }
};

/** The floor on a freshly crashed topology. */
export const floorRun = async (): Promise<FloorRun> => {
  const bench = await stageCrash();
  try {
    const cluster = bench.stack.cluster();
    const logins = bench.stack.logins[cluster.name]!;
    const clients = floorClients();
    await warmFloor(clients, bench);
    const candidate = cluster.nodes.find((n) => n.name === CANDIDATE)!;
    const profile = profileCalls();
    const timing = await runFloor(cluster, candidate, logins.failover, logins.app, clients).finally(profile.stop);
    // The floor's watcher connection (opened before, polling on the side) is not the floor's own work.
    const own = profile.calls.filter((c) => profile.origin + c.startMs >= timing.startedAt && !/pg_is_in_recovery/.test(c.what));
    return { ms: timing.totalMs, parts: timing.parts, promoteSlackMs: timing.promoteSlackMs, calls: countCalls(own) };
  } finally {
    await bench.teardown();
  }
};

let incidentClock = Date.now();

/**
 * Each call counted in the state it was made in: the last state entered before it started. State
 * times come from the runner's event log in whole milliseconds, so a call may appear to start up to
 * a few milliseconds before its state does.
 */
export const perState = (states: Array<{ name: string; startMs: number; endMs: number | null }>, calls: ProfiledCall[], wallStart: number): StateTiming[] => {
  const counts = states.map(() => ({ awsCalls: 0, pgConnects: 0 }));
  for (const call of calls) {
    const at = wallStart + call.startMs + 3;
    const index = states.reduce((found, s, i) => (s.startMs <= at ? i : found), -1);
    if (index < 0) continue;
    if (call.kind === 'aws') counts[index]!.awsCalls += 1;
    if (call.kind === 'pg-connect') counts[index]!.pgConnects += 1;
  }
  return states.map((s, i) => ({ name: s.name, ms: (s.endMs ?? s.startMs) - s.startMs, ...counts[i]! }));
};

/** The whole state machine, from the alarm event to the receipt, on a freshly crashed topology. */
export const fullRun = async (): Promise<FullRun> => {
  const bench = await stageCrash();
  try {
    await warmControlPlane(bench);
    incidentClock += 60000;
    // The alarm's change of state is CloudWatch's work (three emulator calls here): done before the
    // clock starts, which then runs from the event's delivery to the receipt.
    await bench.setAlarm('ALARM');
    const profile = profileCalls();
    const wallStart = Date.now();
    const started = performance.now();
    const trigger = await bench.alarm(new Date(incidentClock), undefined, { stateSet: true });
    if (!trigger.started) throw new Error(`failover did not start: ${trigger.reason}`);
    const execution = await bench.execution(trigger.executionName!);
    const ms = performance.now() - started;
    profile.stop();
    if (process.env.BENCH_PROFILE) printTimeline(execution.states.map((st) => ({ name: st.name, startMs: st.startMs - wallStart, ms: (st.endMs ?? st.startMs) - st.startMs })), profile.calls);
    const receipt = execution.output as Receipt;
    if (execution.status !== 'SUCCEEDED' || receipt.outcome !== 'promoted' || receipt.promoted !== CANDIDATE) {
      throw new Error(`failover did not promote ${CANDIDATE}: ${execution.status} ${receipt?.outcome} ${execution.cause ?? receipt?.reasons?.join('; ')}`);
    }
    return { ms, states: perState(execution.states, profile.calls, wallStart), receipt, calls: countCalls(profile.calls), byCall: callsByKind(profile.calls) };
  } finally {
    await bench.teardown();
  }
};
