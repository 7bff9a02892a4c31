import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { calls } from '../local/fault-proxy';
import { cutControlPaths as cutPaths, type ControlPathCut } from '../local/control-paths';
import { join } from 'node:path';
import { StartInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../shared/aws/clients/ec2';
import { clusterRecordStore } from '../shared/workflow/environment';
import { waitFor } from '../local/wait';
import { CommitClock } from '../local/workload';
import { stopInstance } from '../shared/aws/ec2';
import { configuredPrimary } from '../shared/config/cluster-context';
import type { ClusterConfig, NodeConfig } from '../shared/config/schema';
import type { ConvergenceFigures, DrillOutcome, DrillScenario, SingleFaultScenario } from './drill-report';
import type { LocalExecution } from '../local/state-machine';
import { LeaseStore } from '../shared/aws/lease';
import { dynamoClient } from '../shared/aws/clients/dynamodb';
import { ssmClient } from '../shared/aws/clients/ssm';
import { readParameterFresh } from '../shared/aws/ssm';
import { databaseUrlTarget } from '../shared/database-url';
import { LOCAL_DEPLOYMENT } from '../local/local-stack';
import type { DrillStack } from './stack';
import { sleep } from '../shared/time';
import { formatBytes, formatDuration } from '../shared/units';
import { runSwitchover, type SwitchoverResult } from './switchover';

/** The nodes a scenario acts on, found by role and region (any names and regions the configuration uses). */
export interface Cast {
  primary: NodeConfig;
  /** The synchronous standby (in the primary's region). */
  sync: NodeConfig | undefined;
  /** The first node outside the primary's region: the DR replica. */
  dr: NodeConfig | undefined;
}

export const castOf = (cluster: ClusterConfig): Cast => {
  const primary = configuredPrimary(cluster);
  return {
    primary,
    sync: cluster.nodes.find((n) => n.role === 'sync-standby'),
    dr: cluster.nodes.find((n) => n.role !== 'primary' && n.region !== primary.region),
  };
};

export interface Expectation {
  outcome: DrillOutcome;
  promoted: string | null;
  description: string;
  /** No acknowledged write may be lost. */
  zeroLoss: boolean;
  /** The workflow's reasons must match this. */
  reason?: RegExp;
  /**
   * Why the application may stall although the old primary stays the writer (its synchronous
   * standby is cut off, so commits wait for it: nothing acknowledged is lost).
   */
  appMayStall?: string;
  /**
   * The old primary fenced itself: its writer-lease agent stopped PostgreSQL while its instance runs
   * (its region's EC2 API unreachable), so "fenced" means PostgreSQL down, not the instance stopped.
   */
  selfFenced?: boolean;
}

export interface Scenario {
  name: DrillScenario;
  /** Started by the failover alarm (false: an operator request). */
  alarmDriven: boolean;
  /**
   * A transient fault that may end before the alarm fires: the drill then records that the alarm
   * stayed OK instead of failing. When it fires, the workflow runs and is checked as usual.
   */
  alarmOptional?: boolean;
  /** Bytes of incompressible payload per acknowledged row of the data-loss workload. */
  payloadBytes: number;
  expect(cast: Cast): Expectation;
  /** Brings the stack into the scenario's starting condition (link shaping, lag) before the fault. */
  prepare(drill: DrillStack, cast: Cast, waitFor: WaitFor): Promise<string | void>;
  /** The fault, or the operator's request: what was done, and the request's receipt if it has one. */
  inject(drill: DrillStack, cast: Cast): Promise<string | { description: string; receipt: SwitchoverResult }>;
  /**
   * The scheduled convergence (convergeDns) runs through the drill as deployed: EventBridge's
   * rate(1 minute), its passes inside each invocation. For faults that the convergence finishes.
   */
  convergence?: true;
  /** Runs as the failover alarm fires, before its event reaches the trigger (a fault timed to it). */
  onAlarm?(drill: DrillStack, cast: Cast): Promise<void>;
  /** Runs once the workflow has finished (before the end state is verified): the fault ends. */
  afterWorkflow?(drill: DrillStack, cast: Cast, waitFor: WaitFor): Promise<string | FaultEnd>;
  /** Undoes what would leave a kept stack unhealthy though nothing failed over. */
  restore?(drill: DrillStack, cast: Cast): Promise<void>;
  /** Runs the writer-lease agent beside every node (local/writer-agents.ts). @default false */
  agents?: boolean;
}

/** How a fault that outlasted the workflow ended, and what the convergence did about it. */
export interface FaultEnd {
  description: string;
  convergence: Omit<ConvergenceFigures, 'invocations'>;
  /** The execution that settled the incident after the fault ended (its receipt replaces the first one's). */
  execution?: LocalExecution;
}

export type WaitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number) => Promise<T>;

/**
 * DR link shaping: latency makes the asynchronous loss real but bounded (≈ delay × write rate).
 * The link proxy queues at most 256 kB per direction, so a delay also caps the throughput at
 * ≈ 256 kB / delay: 50 ms keeps that (≈ 5 MB/s) above the workload's write rate, and the DR's lag
 * bounded, whatever the warm-up lasts.
 */
export const REGION_OUTAGE_LINK_DELAY_MS = 50;
/** A DR link too thin for the write rate, so the DR falls behind the lag cap. */
export const LAGGING_DR_BANDWIDTH = 32 * 1024;

const need = (node: NodeConfig | undefined, what: string, scenario: DrillScenario): NodeConfig => {
  if (!node) throw new Error(`--scenario ${scenario}: the cluster has no ${what}`);
  return node;
};

/** Stops the nodes' instances (the power link stops their PostgreSQL) and waits for it. */
export const stopInstances = async (drill: DrillStack, nodes: NodeConfig[]): Promise<void> => {
  for (const node of nodes) await stopInstance(ec2Client(node.region), node.instanceId);
  await drill.power.settle();
};

/** The primary's region goes away: its network (every link out of it) and its instances. */
const regionOutage = async (drill: DrillStack, cast: Cast): Promise<string> => {
  const region = cast.primary.region;
  const outside = drill.cluster.nodes.filter((n) => n.region !== region && drill.topology.links[n.name]);
  for (const node of outside) drill.topology.links[node.name]!.cut('reset');
  const inside = drill.cluster.nodes.filter((n) => n.region === region);
  await stopInstances(drill, inside);
  return `region ${region} lost: link(s) to ${outside.map((n) => n.name).join(', ')} cut, instance(s) of ${inside.map((n) => n.name).join(', ')} stopped`;
};

/** Bytes of WAL the DR has not flushed, as the primary sees it (superuser, over the socket). */
const drBehind = async (drill: DrillStack, cast: Cast, dr: NodeConfig): Promise<number> => {
  const [row] = await drill.topology.query<{ behind: string | null }>(
    cast.primary.name,
    'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn) AS behind FROM pg_stat_replication WHERE application_name = $1',
    [dr.name],
  );
  return Number(row?.behind ?? 0);
};

const quoteHbaUser = (user: string) => (/^[a-z_][a-z0-9_]*$/.test(user) ? user : `"${user.replace(/"/g, '""')}"`);

const HBA_MARK = '# pgfo drill: the monitor cannot reach this node';

const hbaFile = (drill: DrillStack, node: NodeConfig) => join(drill.topology.nodes[node.name]!.dataDir, 'pg_hba.conf');

const reloadAndEnd = async (drill: DrillStack, node: NodeConfig, user: string): Promise<void> => {
  await drill.topology.query(node.name, 'SELECT pg_reload_conf()');
  await drill.topology.query(node.name, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [user]);
};

const slowDrLink = (scenario: DrillScenario) => async (drill: DrillStack, cast: Cast) => {
  const dr = need(cast.dr, 'DR replica', scenario);
  const link = drill.topology.links[dr.name];
  if (!link) throw new Error(`--scenario ${scenario}: ${dr.name} does not replicate through a link the drill can shape`);
  link.setDelay(REGION_OUTAGE_LINK_DELAY_MS);
  return `DR link to ${dr.name} slowed to ${REGION_OUTAGE_LINK_DELAY_MS} ms latency`;
};

/** The issue's goal for what the convergence finishes once a dependency answers again. */
export const CONVERGENCE_GOAL_MS = 60_000;
/** Waits on the convergence allow a whole scheduled minute beyond the goal before giving up. */
const CONVERGENCE_WAIT_MS = CONVERGENCE_GOAL_MS + 60_000;

/**
 * The fault of dns-down ends: Route 53 answers again and the scheduled convergeDns applies the
 * intent the failover recorded; then the change propagates.
 */
const routeFiftyThreeBack = async (drill: DrillStack, _cast: Cast, waitFor: WaitFor): Promise<FaultEnd> => {
  drill.faults.clear();
  const backAt = Date.now();
  const leases = new LeaseStore(dynamoClient(drill.stack.config.controlRegion), LOCAL_DEPLOYMENT.leaseTable);
  const intent = await waitFor(
    'the scheduled convergeDns to apply the cluster record',
    async () => {
      const recorded = await leases.readDnsIntent(drill.cluster.name);
      return recorded?.applied ? recorded : false;
    },
    CONVERGENCE_WAIT_MS,
  );
  const appliedAt = Date.now();
  const change = drill.faults.route53.changes().at(-1);
  if (change) await sleep(Math.max(0, change.inSyncAt - Date.now()));
  return {
    description: `Route 53 answers again: the scheduled convergeDns applied ${intent.target} ${formatDuration(appliedAt - backAt)} later${change ? `, INSYNC after ${formatDuration(change.inSyncAt - change.acceptedAt)}` : ''}`,
    convergence: { dependency: 'Route 53', backAtMs: backAt, urlsOnWriterMs: null, failoverStartedMs: null, startedBy: null, goalMs: CONVERGENCE_GOAL_MS },
  };
};

/** Every DATABASE_URL as an application would read it now (fresh from SSM), against `writer`. */
const urlsOn = async (drill: DrillStack, writer: NodeConfig): Promise<boolean> => {
  const urls = await Promise.all(drill.cluster.databaseUrlParameters.map(async (p) => databaseUrlTarget(await readParameterFresh(ssmClient(p.region), p.region, p.name))));
  return urls.every((u) => u.host === writer.host && u.port === writer.port);
};

/**
 * The fault of ssm-region-down ends: SSM in the DR region answers again, and the scheduled
 * convergence (no person, no re-run) writes the DATABASE_URL the failover could not.
 */
const ssmBack = async (drill: DrillStack, cast: Cast, waitFor: WaitFor): Promise<FaultEnd> => {
  const dr = need(cast.dr, 'DR replica', 'ssm-region-down');
  const writer = need(cast.sync, 'sync-standby', 'ssm-region-down');
  const stillWrong = !(await urlsOn(drill, writer));
  drill.faults.clear();
  const backAt = Date.now();
  await waitFor('every DATABASE_URL to name the new writer (the scheduled convergeDns)', async () => (await urlsOn(drill, writer)) || false, CONVERGENCE_WAIT_MS);
  const onWriter = Date.now() - backAt;
  return {
    description: `SSM in ${dr.region} answers again${stillWrong ? '' : ' (every DATABASE_URL already named the writer)'}: every DATABASE_URL names ${writer.name} ${formatDuration(onWriter)} later`,
    convergence: { dependency: `SSM in ${dr.region}`, backAtMs: backAt, urlsOnWriterMs: onWriter, failoverStartedMs: null, startedBy: null, goalMs: CONVERGENCE_GOAL_MS },
  };
};

/** How long DynamoDB in the control region fails in dependency-blip (the issue's figure). */
export const BLIP_SECONDS = 20;

/** When the blip of a drill began and when it ends. */
const blips = new Map<DrillStack, { endsAt: number; ended: Promise<void> }>();

/** DynamoDB in the control region fails for BLIP_SECONDS, from the moment the alarm fires. */
const dynamoBlip = async (drill: DrillStack): Promise<void> => {
  if (blips.has(drill)) return;
  const region = drill.stack.config.controlRegion;
  const rule = drill.faults.fail({ match: (i) => i.service === 'dynamodb' && i.region === region, status: 'reset', times: Number.POSITIVE_INFINITY });
  const endsAt = Date.now() + BLIP_SECONDS * 1000;
  const ended = sleep(BLIP_SECONDS * 1000).then(() => {
    rule.times = 0;
  });
  blips.set(drill, { endsAt, ended });
};

/** The blip ends on its own; the scheduled convergence starts the failover the failed execution could not finish. */
const blipOver = async (drill: DrillStack, _cast: Cast, waitFor: WaitFor): Promise<FaultEnd> => {
  const blip = blips.get(drill);
  if (!blip) throw new Error('dependency-blip: the alarm never fired, so DynamoDB never failed');
  await blip.ended;
  const backAt = Date.now();
  const before = new Set(drill.machine.listed().filter((e) => e.startedAt < blip.endsAt).map((e) => e.name));
  const restarted = await waitFor(
    'a failover execution to start after the blip (the scheduled convergeDns)',
    async () => drill.machine.listed().find((e) => !before.has(e.name)) ?? false,
    CONVERGENCE_WAIT_MS,
  );
  const execution = await drill.machine.executions().get(restarted.name)!;
  return {
    description: `DynamoDB in ${drill.stack.config.controlRegion} answers again after ${BLIP_SECONDS} s: ${restarted.name} started ${formatDuration(restarted.startedAt - backAt)} later, ${execution.status}`,
    // Who started it (the convergence or a new alarm event) is told by the drill, which saw the alarm's deliveries.
    convergence: { dependency: `DynamoDB in ${drill.stack.config.controlRegion}`, backAtMs: backAt, urlsOnWriterMs: null, failoverStartedMs: Math.max(0, restarted.startedAt - backAt), startedBy: null, goalMs: CONVERGENCE_GOAL_MS },
    execution,
  };
};

/** The control plane's own paths to nodes, while a scenario has cut them (restored by `restore`). */
const controlPaths = new Map<DrillStack, ControlPathCut>();
/** When `region-isolated` cut the primary's region off (the drill's clock). */
const isolatedAt = new Map<DrillStack, number>();

/** Cuts the control plane's paths to `nodes` (local/control-paths.ts); `restoreControlPaths` undoes it. */
const cutControlPaths = async (drill: DrillStack, nodes: NodeConfig[], mode: 'reset' | 'blackhole' = 'reset'): Promise<void> => {
  controlPaths.set(drill, await cutPaths(drill.stack, drill.cluster.name, nodes, mode));
};

const restoreControlPaths = async (drill: DrillStack): Promise<void> => {
  const cut = controlPaths.get(drill);
  controlPaths.delete(drill);
  await cut?.restore();
};

/** Refuses replication on `node` (pg_hba) and ends its WAL senders: no standby hears from it. */
const refuseReplication = async (drill: DrillStack, node: NodeConfig): Promise<void> => {
  const file = hbaFile(drill, node);
  writeFileSync(file, `${REPLICATION_MARK}\nhost replication all 0.0.0.0/0 reject\n${readFileSync(file, 'utf8')}`);
  await drill.topology.query(node.name, 'SELECT pg_reload_conf()');
  await drill.topology.query(node.name, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'walsender'");
};

const allowReplication = async (drill: DrillStack, node: NodeConfig): Promise<void> => {
  const file = hbaFile(drill, node);
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== REPLICATION_MARK) return;
  writeFileSync(file, lines.slice(2).join('\n'));
  await drill.topology.query(node.name, 'SELECT pg_reload_conf()');
};

const REPLICATION_MARK = '# pgfo drill: replication refused (fence-refused)';

/** How long the transient faults (`primary-stall`, `monitor-path-loss`) last. */
export const TRANSIENT_FAULT_SECONDS = 20;

/** The node's PostgreSQL processes: the postmaster (first line of postmaster.pid) and its children. */
const postgresProcesses = (drill: DrillStack, node: NodeConfig): number[] => {
  const postmaster = Number(readFileSync(join(drill.topology.nodes[node.name]!.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(postmaster) || postmaster <= 0) throw new Error(`${node.name}: no postmaster pid in postmaster.pid`);
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    // pgrep exits 1 when there is no child
  }
  return [postmaster, ...children];
};

/** Sends `signal` to each process; one that ended meanwhile is skipped. */
const signalAll = (pids: number[], signal: NodeJS.Signals): void => {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // ended meanwhile
    }
  }
};

/**
 * Freezes every PostgreSQL process of `node` (SIGSTOP, as a VM pause or a storage freeze would: the
 * kernel still accepts connections, nothing answers), waits `seconds`, then thaws them.
 */
const stall = async (drill: DrillStack, node: NodeConfig, seconds: number): Promise<void> => {
  const pids = postgresProcesses(drill, node);
  signalAll(pids, 'SIGSTOP');
  try {
    await sleep(seconds * 1000);
  } finally {
    signalAll([...pids].reverse(), 'SIGCONT');
  }
};

/** A fault that lasts TRANSIENT_FAULT_SECONDS and must promote nothing; the alarm may or may not fire. */
/**
 * A scenario that passes when nothing is promoted: the writer stays the one writer and no
 * acknowledged row is lost. `alarmOptional` for a fault that may end before the alarm fires.
 */
const notPromoted = (
  name: DrillScenario,
  outcome: (cast: Cast) => Pick<Expectation, 'description' | 'reason' | 'appMayStall'>,
  fault: Pick<Scenario, 'inject' | 'restore'>,
  options: { alarmOptional?: boolean } = {},
): Scenario => ({
  name,
  alarmDriven: true,
  ...(options.alarmOptional ? { alarmOptional: true } : {}),
  payloadBytes: 1000,
  expect: (cast) => ({ outcome: 'not-promoted', promoted: null, zeroLoss: true, ...outcome(cast) }),
  prepare: async () => undefined,
  ...fault,
});

/** A fault that ends on its own (a stall, a lost path): the alarm may or may not fire, nothing may be promoted. */
const transient = (name: DrillScenario, outcome: (cast: Cast) => Pick<Expectation, 'description' | 'appMayStall'>, fault: Pick<Scenario, 'inject' | 'restore'>): Scenario =>
  notPromoted(name, outcome, fault, { alarmOptional: true });

/**
 * The synchronous standby's instance stops under continuous commits: they stall on SyncRep until the
 * monitor drops it (policy.syncLossSeconds), then resume without it; its instance started again, it
 * is made synchronous again. What the record said at each point goes into the report.
 */
const commitGaps = new Map<DrillStack, number>();

/** sync-standby-loss: the longest time without a commit after the synchronous standby was lost (ms), once measured. */
export const commitGapOf = (drill: DrillStack): number | undefined => commitGaps.get(drill);

const syncStandbyLoss = async (drill: DrillStack, cast: Cast): Promise<string> => {
  const sync = need(cast.sync, 'sync-standby', 'sync-standby-loss');
  const { primary } = cast;
  const records = clusterRecordStore(drill.stack.config);
  const recorded = async () => (await records.read(drill.cluster.name))?.synchronous ?? null;
  await waitFor(`the cluster record to name ${sync.name} synchronous`, async () => (await recorded())?.node === sync.name, { timeoutMs: 30_000, intervalMs: 250 });
  const login = drill.stack.logins[drill.cluster.name]!.app;
  const clock = new CommitClock({ host: primary.host, port: primary.port, database: drill.cluster.database, ...login });
  await clock.start();
  try {
    await sleep(1000);
    await stopInstances(drill, [sync]);
    const lostAt = Date.now();
    await waitFor(`commits on ${primary.name} to resume without ${sync.name}`, async () => clock.ackedSince(lostAt + 500) > 3, { timeoutMs: 60_000, intervalMs: 100 });
    const gapMs = clock.longestGapFrom(lostAt) ?? 0;
    commitGaps.set(drill, gapMs);
    const degraded = await waitFor('the record to show no synchronous standby', async () => ((await recorded())?.node === null ? recorded() : false), { timeoutMs: 30_000, intervalMs: 250 });
    await ec2Client(sync.region).send(new StartInstancesCommand({ InstanceIds: [sync.instanceId] }));
    await drill.topology.start(sync.name);
    const backAt = Date.now();
    await waitFor(`${sync.name} to be synchronous again`, async () => (await recorded())?.node === sync.name, { timeoutMs: 60_000, intervalMs: 250 });
    return (
      `instance of ${sync.name} stopped: commits on ${primary.name} stalled ${formatDuration(gapMs)} at most (policy.syncLossSeconds ${drill.cluster.policy.syncLossSeconds}), ` +
      `then resumed with no synchronous standby (recorded since ${degraded?.since ?? '?'}); ${sync.name} started again: synchronous again, recorded, after ${formatDuration(Date.now() - backAt)}`
    );
  } finally {
    await clock.stop();
  }
};

const SCENARIOS: Record<SingleFaultScenario, Scenario> = {
  'sync-standby-loss': notPromoted(
    'sync-standby-loss',
    (cast) => ({
      description: `nothing promoted: ${cast.primary.name} stays the writer; its commits resume without its lost synchronous standby and it is synchronous again once back`,
      appMayStall: `${cast.primary.name}'s commits wait for its lost synchronous standby until the control plane drops it (policy.syncLossSeconds)`,
    }),
    {
      inject: syncStandbyLoss,
      // A stack kept after a failed run: the standby's instance and PostgreSQL started again.
      restore: async (drill, cast) => {
        const sync = cast.sync;
        if (!sync || drill.topology.isRunning(sync.name)) return;
        await ec2Client(sync.region).send(new StartInstancesCommand({ InstanceIds: [sync.instanceId] }));
        await drill.topology.start(sync.name);
      },
    },
    { alarmOptional: true },
  ),
  'primary-stall': transient(
    'primary-stall',
    (cast) => ({
      description: `nothing promoted: ${cast.primary.name} froze for ${TRANSIENT_FAULT_SECONDS} s and came back as the writer`,
      appMayStall: `${cast.primary.name} is frozen: every write waits for it`,
    }),
    {
      inject: async (drill, cast) => {
        await stall(drill, cast.primary, TRANSIENT_FAULT_SECONDS);
        return `every PostgreSQL process of ${cast.primary.name} frozen (SIGSTOP) for ${TRANSIENT_FAULT_SECONDS} s, then thawed`;
      },
      restore: async (drill, cast) => signalAll(postgresProcesses(drill, cast.primary), 'SIGCONT'),
    },
  ),
  // The network between the control plane (monitor and workflow alike) and the primary drops every
  // packet; replication and the applications are unaffected.
  'monitor-path-loss': transient(
    'monitor-path-loss',
    (cast) => ({ description: `nothing promoted: the control plane lost its path to ${cast.primary.name} for ${TRANSIENT_FAULT_SECONDS} s; ${cast.primary.name} stayed the writer` }),
    {
      inject: async (drill, cast) => {
        await cutControlPaths(drill, [cast.primary], 'blackhole');
        try {
          await sleep(TRANSIENT_FAULT_SECONDS * 1000);
        } finally {
          await restoreControlPaths(drill);
        }
        return `the control plane's path to ${cast.primary.name} black-holed for ${TRANSIENT_FAULT_SECONDS} s, then restored`;
      },
      restore: async (drill) => restoreControlPaths(drill),
    },
  ),
  'fence-refused': notPromoted(
    'fence-refused',
    (cast) => ({
      description: `nothing promoted: ${cast.primary.name} could not be fenced (EC2 refused StopInstances) and stays the one writer`,
      reason: /EC2 refused: .*UnauthorizedOperation[\s\S]*not proceeding/,
      appMayStall: `${cast.primary.name}'s synchronous standby is cut off from it: commits wait for it`,
    }),
    {
      // The primary is cut off from the control plane and from every standby but keeps serving local
      // clients; the EC2 API in its region answers and refuses StopInstances (as a missing tag
      // condition or an SCP would).
      inject: async (drill, cast) => {
        drill.faults.fail({
          match: calls.ec2Stop(cast.primary.region),
          status: 403,
          times: Number.POSITIVE_INFINITY,
          ec2Error: { code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' },
        });
        await cutControlPaths(drill, [cast.primary]);
        await refuseReplication(drill, cast.primary);
        for (const node of drill.cluster.nodes) drill.topology.links[node.name]?.cut('reset');
        return `${cast.primary.name} cut off from the control plane and every standby (still serving local clients); EC2 in ${cast.primary.region} refuses StopInstances (UnauthorizedOperation)`;
      },
      restore: async (drill, cast) => {
        drill.faults.clear();
        await restoreControlPaths(drill);
        await allowReplication(drill, cast.primary);
        for (const node of drill.cluster.nodes) drill.topology.links[node.name]?.restore();
      },
    },
  ),
  partition: notPromoted(
    'partition',
    (cast) => ({
      description: `nothing promoted, nothing fenced: ${cast.primary.name}'s region is healthy, only the paths between the regions are cut`,
      reason: /a person must decide|cross-region promotion needs the cloud's own evidence/,
    }),
    {
      // Every path between the regions is cut: replication to the other regions, and the control
      // plane's paths (it runs in the control region) to every node of the other regions.
      inject: async (drill, cast) => {
        const control = drill.stack.config.controlRegion;
        const far = drill.cluster.nodes.filter((n) => n.region !== control);
        await cutControlPaths(drill, far);
        const crossing = drill.cluster.nodes.filter((n) => n.region !== cast.primary.region && drill.topology.links[n.name]);
        for (const node of crossing) drill.topology.links[node.name]!.cut('reset');
        return `paths between the regions cut: the control plane (${control}) loses ${far.map((n) => n.name).join(', ')}; replication to ${crossing.map((n) => n.name).join(', ') || 'no node'} cut`;
      },
      restore: async (drill) => {
        await restoreControlPaths(drill);
        for (const node of drill.cluster.nodes) drill.topology.links[node.name]?.restore();
      },
    },
  ),
  'control-partition': notPromoted(
    'control-partition',
    (cast) => ({
      description: `nothing promoted, nothing fenced: the control region lost every path into ${cast.primary.region} (its EC2 API included), the witness still reaches ${cast.primary.name}, which keeps taking writes`,
      reason: /no cross-region promotion: the witness sees the writer alive/,
    }),
    {
      // The control region loses every path into the primary's region: the EC2 API there (the
      // control plane's calls only: its own fault proxy), its database sessions to the nodes there,
      // and replication into the control region. The witness's paths and the primary's region are
      // untouched.
      inject: async (drill, cast) => {
        const control = drill.stack.config.controlRegion;
        const target = cast.primary.region;
        drill.faults.fail({ match: calls.ec2In(target), status: 'reset', times: Number.POSITIVE_INFINITY });
        const inside = drill.cluster.nodes.filter((n) => n.region === target);
        await cutControlPaths(drill, inside);
        const crossing = drill.cluster.nodes.filter((n) => n.region === control && drill.topology.links[n.name]);
        for (const node of crossing) drill.topology.links[node.name]!.cut('reset');
        return `the control region (${control}) lost every path into ${target}: EC2 API (connections reset), database sessions to ${inside.map((n) => n.name).join(', ')}, replication to ${crossing.map((n) => n.name).join(', ') || 'no node'}; the witness's paths untouched`;
      },
      restore: async (drill) => {
        drill.faults.clear();
        await restoreControlPaths(drill);
        for (const node of drill.cluster.nodes) drill.topology.links[node.name]?.restore();
      },
    },
  ),

  'region-isolated': {
    name: 'region-isolated',
    alarmDriven: true,
    agents: true,
    payloadBytes: 1000,
    expect: (cast) => {
      const dr = need(cast.dr, 'node outside the primary region (DR replica)', 'region-isolated');
      return {
        outcome: 'promoted',
        promoted: dr.name,
        zeroLoss: false,
        description: `${cast.primary.name}'s region cut off from both others while its hosts run: its agent stops it within the writer lease, then ${dr.name} is promoted; never two writers`,
        reason: /writer lease expired/,
        selfFenced: true,
      };
    },
    prepare: slowDrLink('region-isolated'),
    inject: async (drill, cast) => {
      const region = cast.primary.region;
      const leases = drill.leases;
      if (!leases) throw new Error('region-isolated: the drill stack runs no writer-lease agents');
      // Every path between the primary's region and the others: replication, the control plane's
      // paths to its nodes and its regional EC2 API, and its path to the store's other regions.
      const inside = drill.cluster.nodes.filter((n) => n.region === region);
      await cutControlPaths(drill, inside);
      const crossing = drill.topology.cutRegion(region);
      drill.faults.fail({ match: calls.ec2In(region), status: 'reset', times: Infinity });
      // The witness (another region) loses that region's EC2 API too; its database path stays the
      // nodes' own addresses (the local witness has no cut of its own for it).
      drill.witness.faults.fail({ match: calls.ec2In(region), status: 'reset', times: Infinity });
      leases.store.isolate(region);
      isolatedAt.set(drill, Date.now());
      return `region ${region} cut off from the other regions (its hosts still run): control paths to ${inside.map((n) => n.name).join(', ')}, routes ${crossing.join(', ')}, its EC2 API (for the control plane and the witness) and its path to the store cut`;
    },
    afterWorkflow: async (drill, cast) => {
      const log = drill.leases?.agents[drill.cluster.name]?.log ?? [];
      const stop = log.find((l) => l.node === cast.primary.name && /stopping PostgreSQL/.test(l.message) && l.at >= (isolatedAt.get(drill) ?? 0));
      if (!stop) throw new Error(`region-isolated: ${cast.primary.name}'s agent never stopped it (log: ${JSON.stringify(log.slice(-4))})`);
      const seconds = (stop.at - isolatedAt.get(drill)!) / 1000;
      const limit = drill.cluster.policy.writerLeaseSeconds;
      if (seconds > limit) throw new Error(`region-isolated: ${cast.primary.name} stopped ${seconds.toFixed(1)} s after the isolation, later than writerLeaseSeconds (${limit} s)`);
      if (drill.topology.isRunning(cast.primary.name)) throw new Error(`region-isolated: ${cast.primary.name} runs again while its region is isolated`);
      return `${cast.primary.name}'s agent stopped it ${seconds.toFixed(1)} s after the isolation (writerLeaseSeconds ${limit}); it stays down`;
    },
  },

  'region-outage': {
    name: 'region-outage',
    alarmDriven: true,
    payloadBytes: 1000,
    expect: (cast) => {
      const dr = need(cast.dr, 'node outside the primary region (DR replica)', 'region-outage');
      return { outcome: 'promoted', promoted: dr.name, zeroLoss: false, description: `${dr.name} promoted in ${dr.region}; the old primary fenced` };
    },
    prepare: slowDrLink('region-outage'),
    inject: regionOutage,
  },
  'dns-down': {
    name: 'dns-down',
    alarmDriven: true,
    payloadBytes: 1000,
    expect: (cast) => {
      const dr = need(cast.dr, 'node outside the primary region (DR replica)', 'dns-down');
      return {
        outcome: 'promoted',
        promoted: dr.name,
        zeroLoss: false,
        description: `${dr.name} promoted with the Route 53 API down: applications move through DATABASE_URL, the receipt says DNS pending, the record converges once Route 53 answers`,
        reason: /^DNS pending: /,
      };
    },
    prepare: slowDrLink('dns-down'),
    inject: async (drill, cast) => {
      // Route 53's control plane lives in one region (us-east-1), which may be the one that is lost.
      drill.faults.fail({ match: calls.route53Any, status: 503, times: Infinity });
      return `${await regionOutage(drill, cast)}; the Route 53 API fails for good`;
    },
    convergence: true,
    afterWorkflow: routeFiftyThreeBack,
  },
  'ssm-region-down': {
    name: 'ssm-region-down',
    alarmDriven: true,
    payloadBytes: 1000,
    expect: (cast) => {
      const sync = need(cast.sync, 'sync-standby', 'ssm-region-down');
      const dr = need(cast.dr, 'DR replica', 'ssm-region-down');
      return {
        outcome: 'promoted',
        promoted: sync.name,
        zeroLoss: true,
        description: `${sync.name} promoted while SSM in ${dr.region} refuses PutParameter; once SSM answers, the scheduled convergence writes that region's DATABASE_URL without a person`,
        reason: new RegExp(`not written in ${dr.region} `),
      };
    },
    prepare: async () => undefined,
    inject: async (drill, cast) => {
      const dr = need(cast.dr, 'DR replica', 'ssm-region-down');
      drill.faults.fail({ match: (i) => calls.ssmPut(i) && i.region === dr.region, status: 'reset', times: Number.POSITIVE_INFINITY });
      await stopInstances(drill, [cast.primary]);
      return `instance of ${cast.primary.name} stopped; SSM in ${dr.region} refuses PutParameter (connection reset) until the workflow has ended`;
    },
    convergence: true,
    afterWorkflow: ssmBack,
  },
  'dependency-blip': {
    name: 'dependency-blip',
    alarmDriven: true,
    payloadBytes: 1000,
    expect: (cast) => {
      const sync = need(cast.sync, 'sync-standby', 'dependency-blip');
      return {
        outcome: 'promoted',
        promoted: sync.name,
        zeroLoss: true,
        description: `${sync.name} promoted although DynamoDB failed for ${BLIP_SECONDS} s as the alarm fired: the scheduled convergence starts the failover once it answers`,
      };
    },
    prepare: async () => undefined,
    inject: async (drill, cast) => {
      await stopInstances(drill, [cast.primary]);
      return `instance of ${cast.primary.name} stopped; DynamoDB in ${drill.stack.config.controlRegion} will fail for ${BLIP_SECONDS} s from the moment the alarm fires`;
    },
    onAlarm: async (drill) => dynamoBlip(drill),
    restore: async (drill) => {
      blips.delete(drill);
    },
    convergence: true,
    afterWorkflow: blipOver,
  },
  'primary-crash': {
    name: 'primary-crash',
    alarmDriven: true,
    payloadBytes: 1000,
    expect: (cast) => {
      const sync = need(cast.sync, 'sync-standby', 'primary-crash');
      return { outcome: 'promoted', promoted: sync.name, zeroLoss: true, description: `${sync.name} promoted, no acknowledged write lost` };
    },
    prepare: async () => undefined,
    inject: async (drill, cast) => {
      await stopInstances(drill, [cast.primary]);
      return `instance of ${cast.primary.name} stopped (its PostgreSQL with it)`;
    },
  },
  'false-alarm': {
    name: 'false-alarm',
    alarmDriven: true,
    payloadBytes: 1000,
    expect: (cast) => ({
      outcome: 'not-promoted',
      promoted: null,
      zeroLoss: true,
      description: `nothing promoted: ${cast.primary.name} stays the writer`,
      reason: /primary answers the database probe/,
    }),
    prepare: async () => undefined,
    // Only the monitor's view is cut: the primary refuses the monitor's login (as a firewall between
    // the monitor and the primary would), so the monitor reports no writer while the primary is fine.
    inject: async (drill, cast) => {
      const user = drill.cluster.credentials.monitor.user;
      const file = hbaFile(drill, cast.primary);
      writeFileSync(file, `${HBA_MARK}\nhost all ${quoteHbaUser(user)} 0.0.0.0/0 reject\n${readFileSync(file, 'utf8')}`);
      await reloadAndEnd(drill, cast.primary, user);
      return `the monitor's path to ${cast.primary.name} cut (its login is rejected there); ${cast.primary.name} itself is healthy`;
    },
    restore: async (drill, cast) => {
      const file = hbaFile(drill, cast.primary);
      const lines = readFileSync(file, 'utf8').split('\n');
      writeFileSync(file, lines.slice(lines[0] === HBA_MARK ? 2 : 0).join('\n'));
      await drill.topology.query(cast.primary.name, 'SELECT pg_reload_conf()');
    },
  },
  'lagging-dr': {
    name: 'lagging-dr',
    alarmDriven: true,
    payloadBytes: 4000,
    expect: () => ({
      outcome: 'not-promoted',
      promoted: null,
      zeroLoss: false,
      description: 'refused: the DR replica is behind the lag cap',
      reason: /behind \(cap /,
    }),
    prepare: async (drill, cast, waitFor) => {
      const dr = need(cast.dr, 'DR replica', 'lagging-dr');
      const link = drill.topology.links[dr.name];
      if (!link) throw new Error(`--scenario lagging-dr: ${dr.name} does not replicate through a link the drill can shape`);
      link.setBandwidth(LAGGING_DR_BANDWIDTH);
      const cap = drill.cluster.policy.maxLagBytes;
      const behind = await waitFor(
        `${dr.name} to fall ${formatBytes(cap * 1.25)} behind (lag cap ${formatBytes(cap)})`,
        async () => {
          const bytes = await drBehind(drill, cast, dr);
          return bytes > cap * 1.25 ? bytes : false;
        },
        120_000,
      );
      return `DR link throttled to ${formatBytes(LAGGING_DR_BANDWIDTH)}/s: ${dr.name} is ${formatBytes(behind)} behind`;
    },
    inject: regionOutage,
  },
  switchover: {
    name: 'switchover',
    alarmDriven: false,
    payloadBytes: 1000,
    expect: (cast) => {
      const sync = need(cast.sync, 'sync-standby', 'switchover');
      return { outcome: 'promoted', promoted: sync.name, zeroLoss: true, description: `planned switchover to ${sync.name}, no acknowledged write lost` };
    },
    prepare: async () => undefined,
    inject: async (drill, cast) => {
      const to = need(cast.sync, 'sync-standby', 'switchover').name;
      const receipt = await runSwitchover({ cluster: drill.cluster.name, to });
      return { description: `switchover to ${to}: ${receipt.outcome} (${receipt.reasons.join('; ')})`, receipt };
    },
  },
};

export const scenarioNamed = (name: SingleFaultScenario): Scenario => SCENARIOS[name];
