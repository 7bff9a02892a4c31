import { StartInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../shared/aws/clients/ec2';
import { dynamoClient } from '../shared/aws/clients/dynamodb';
import { ClusterRecordStore } from '../shared/aws/cluster-record';
import { configuredPrimary } from '../shared/config/cluster-context';
import type { ClusterConfig, NodeConfig } from '../shared/config/schema';
import type { RejoinReceipt } from '../shared/operators/rejoin';
import { formatBytes, formatDuration } from '../shared/units';
import type { InstanceBoot } from '../local/instance-boot';
import { LOCAL_DEPLOYMENT } from '../local/local-stack';
import { localHandlers } from '../local/handlers';
import type { ObservedNode, SequenceScenario } from './drill-report';
import { REGION_OUTAGE_LINK_DELAY_MS, stopInstances, type WaitFor } from './scenarios';
import { observerRegion, type DrillStack } from './stack';
import { runSwitchover } from './switchover';
import { observeEndState, type EndState } from './verify';

/**
 * The nodes a leg acts on, found by observation: the writer the cluster record names and the one
 * node that takes writes must agree; standbys are the nodes streaming from it. After a failover the
 * writer is not the configured primary, so nothing here reads a configured role.
 */
export interface Roles {
  writer: NodeConfig;
  /** A standby streaming from the writer in the writer's region (an in-region failover promotes it). */
  local: NodeConfig | undefined;
  /** A standby streaming from the writer outside its region (the DR replica). */
  remote: NodeConfig | undefined;
  /** Every standby streaming from the writer outside its region. */
  remotes: NodeConfig[];
  /** Running nodes other than the writer that do not stream from it: they need a rejoin. */
  detached: NodeConfig[];
  timeline: number | null;
  /** The configured primary: where a switchover home returns the writer. */
  home: NodeConfig;
  state: EndState;
}

/** Roles from what the nodes say and what the record says; a contradiction stops the drill, spelled out. Pure. */
export const rolesOf = (cluster: ClusterConfig, state: EndState, recordWriter: string | null): Roles => {
  const writers = state.writers;
  if (writers.length !== 1) throw new Error(`the drill needs one writer to act on; the nodes say ${writers.length === 0 ? 'none takes writes' : `${writers.join(' and ')} take writes`}`);
  const name = writers[0]!;
  if (recordWriter !== null && recordWriter !== name) throw new Error(`the cluster record names ${recordWriter} the writer, but ${name} is the node that takes writes`);
  const writer = cluster.nodes.find((n) => n.name === name)!;
  const seen = (n: NodeConfig) => state.nodes.find((o) => o.name === n.name);
  const following = cluster.nodes.filter((n) => n.name !== name && seen(n)?.observed === 'standby' && seen(n)?.upstream === name);
  return {
    writer,
    local: following.find((n) => n.region === writer.region),
    remote: following.find((n) => n.region !== writer.region),
    remotes: following.filter((n) => n.region !== writer.region),
    detached: cluster.nodes.filter((n) => n.name !== name && !following.includes(n) && seen(n)?.observed !== 'down'),
    timeline: seen(writer)?.timeline ?? null,
    home: configuredPrimary(cluster),
    state,
  };
};

export const observeRoles = async (drill: DrillStack): Promise<Roles> => {
  const records = new ClusterRecordStore(dynamoClient(observerRegion(drill)), LOCAL_DEPLOYMENT.leaseTable);
  const [state, record] = await Promise.all([observeEndState(drill.cluster, drill.topology, configuredPrimary(drill.cluster).name), records.read(drill.cluster.name)]);
  return rolesOf(drill.cluster, state, record?.writer ?? configuredPrimary(drill.cluster).name);
};

/** What a leg expects once it is over. */
export interface LegExpectation {
  /** The one node taking writes afterwards (DNS and every DATABASE_URL lead to it). */
  writer: string;
  description: string;
  /** Acknowledged rows the leg may lose: none, or at most the receipt's bound. */
  loss: 'none' | 'bounded';
  /** The node the workflow must fence (an automatic failover), or null. */
  fenced: string | null;
  /** Nodes any of which may become `writer` (the workflow chooses among equals): the one that did is checked as the writer. */
  candidates?: string[];
}

export interface LegOutcome {
  description: string;
  /** The workflow's receipt is collected by the runner; an operator action's receipt is returned here. */
  receipt?: unknown;
  reasons?: string[];
  /** What the action itself found wrong (a rejoin refused, a returned node writable). */
  problems?: string[];
  /** The control region whose stack must act on this fault (its receipt's stackRegion); absent: any. */
  actedBy?: string;
}

export interface LegSpec {
  name: string;
  /** The failover alarm detects it and the workflow responds (false: an operator action or the end of a fault). */
  alarmDriven: boolean;
  expect(roles: Roles): LegExpectation;
  /** Brings the stack into the leg's starting condition before its writes begin (says what it waited for). */
  before?(drill: DrillStack, roles: Roles, waitFor: WaitFor): Promise<string>;
  act(drill: DrillStack, roles: Roles, waitFor: WaitFor): Promise<LegOutcome>;
}

export interface SequenceSpec {
  name: SequenceScenario;
  payloadBytes: number;
  description: string;
  /** Before the first leg (link shaping). */
  prepare(drill: DrillStack): Promise<string>;
  legs: LegSpec[];
  /** Run the control plane of every control region (one stack each), not only the home region's. */
  everyControlRegion?: true;
  /** Each leg in which the writer moved: fault → the application writes through DATABASE_URL again, goal (ms); reported per leg, not checked. */
  rtoGoalMs?: number;
}

const need = (node: NodeConfig | undefined, what: string, leg: string): NodeConfig => {
  if (!node) throw new Error(`${leg}: the cluster has no ${what}`);
  return node;
};

/**
 * The inter-region network slowed (every route between regions, whichever writer it serves), so
 * that a standby in the other region really is behind: see REGION_OUTAGE_LINK_DELAY_MS.
 */
export const slowInterRegion = (drill: DrillStack): string => {
  const routes = Object.keys(drill.topology.routes);
  if (routes.length === 0) throw new Error('the drill cannot shape the inter-region network: no replication route between regions');
  for (const route of Object.values(drill.topology.routes)) route.setDelay(REGION_OUTAGE_LINK_DELAY_MS);
  return `inter-region network slowed to ${REGION_OUTAGE_LINK_DELAY_MS} ms latency (${routes.length} route(s))`;
};

/**
 * The writer's host dies: its instance stopped (its PostgreSQL with it). `promote` says which
 * standby the leg is about: the one in the writer's region (synchronous: nothing acknowledged may be
 * lost) or the one outside it (asynchronous: the loss held to the receipt's bound). A cluster without
 * that standby streaming from the writer stops the drill: the leg would test something else.
 */
const writerCrash = (name: string, promote: 'local' | 'remote'): LegSpec => ({
  name,
  alarmDriven: true,
  expect: (roles) => {
    const to = need(roles[promote], `standby streaming from the writer ${promote === 'local' ? 'in' : 'outside'} its region (${roles.writer.name}, ${roles.writer.region})`, name);
    return {
      writer: to.name,
      loss: promote === 'local' ? 'none' : 'bounded',
      fenced: roles.writer.name,
      description: `${to.name} promoted (${promote === 'local' ? 'in-region, no acknowledged row lost' : 'across regions, loss within the receipt’s bound'}), ${roles.writer.name} fenced`,
    };
  },
  act: async (drill, roles) => {
    await stopInstances(drill, [roles.writer]);
    return { description: `instance of ${roles.writer.name} (the writer) stopped, its PostgreSQL with it` };
  },
});

/** The writer's region goes away: every route into or out of it cut, the instances in it stopped. */
export const regionOutage: LegSpec = {
  name: 'region outage',
  alarmDriven: true,
  expect: (roles) => {
    const dr = need(roles.remote, 'standby outside the writer’s region', 'region outage');
    return { writer: dr.name, loss: 'bounded', fenced: roles.writer.name, description: `${dr.name} promoted in ${dr.region} (loss within the receipt’s bound), ${roles.writer.name} fenced` };
  },
  act: async (drill, roles) => {
    const region = roles.writer.region;
    const cut = drill.topology.cutRegion(region, 'reset');
    const inside = drill.cluster.nodes.filter((n) => n.region === region);
    await stopInstances(drill, inside);
    return { description: `region ${region} lost: ${cut.length} route(s) cut, instance(s) of ${inside.map((n) => n.name).join(', ')} stopped` };
  },
};

/** Waits until the boot of `node`'s instance that followed `since` was handled (guard, PostgreSQL, nodeReturned). */
const bootOf = (boot: InstanceBoot, node: string, since: number, waitFor: WaitFor) =>
  waitFor(
    `the boot of ${node}'s instance to be handled (host guard, PostgreSQL, nodeReturned)`,
    async () => {
      await boot.settle();
      return boot.boots.slice(since).find((b) => b.node === node && (b.delivered !== null || b.error !== undefined));
    },
    90_000,
  );

const verdictOf = (delivered: unknown): string => {
  const verdict = (delivered as { verdict?: { action?: string; reason?: string } } | null)?.verdict;
  return verdict ? `${verdict.action ?? '?'}${verdict.reason ? ` (${verdict.reason})` : ''}` : 'no verdict';
};

/**
 * The lost region comes back: its network first, then its instances are started. Each boots as a
 * host does — the host guard, then PostgreSQL — and the control plane hears of it (nodeReturned).
 * The guard must keep a fenced node out of writing; no node comes back writable.
 */
export const regionReturns: LegSpec = {
  name: 'region returns',
  alarmDriven: false,
  expect: (roles) => ({ writer: roles.writer.name, loss: 'none', fenced: null, description: `the returned nodes read-only, ${roles.writer.name} still the one writer` }),
  act: async (drill, roles, waitFor) => {
    const stopped = roles.state.nodes.filter((n) => n.instanceState === 'stopped').map((n) => drill.cluster.nodes.find((c) => c.name === n.name)!);
    if (stopped.length === 0) throw new Error('region returns: no stopped instance to start');
    const boot = drill.boot;
    if (!boot) throw new Error('region returns: the drill stack does not boot started instances (bootInstances)');
    for (const route of Object.values(drill.topology.routes)) route.restore();
    slowInterRegion(drill);
    const since = boot.boots.length;
    for (const node of stopped) await ec2Client(node.region).send(new StartInstancesCommand({ InstanceIds: [node.instanceId] }));
    const problems: string[] = [];
    const lines: string[] = [];
    for (const node of stopped) {
      const booted = await bootOf(boot, node.name, since, waitFor);
      if (booted.error) problems.push(`${node.name} did not boot: ${booted.error}`);
      lines.push(`${node.name}: guard ${booted.guard ? (booted.guard.madeStandby ? 'started it in recovery (fenced)' : 'let it start as it was') : 'not run'}, nodeReturned: ${verdictOf(booted.delivered)}`);
    }
    const after = await observeEndState(drill.cluster, drill.topology, configuredPrimary(drill.cluster).name);
    for (const node of stopped) {
      const seen = after.nodes.find((n) => n.name === node.name);
      if (seen?.observed === 'writable') problems.push(`${node.name} came back writable`);
    }
    return { description: `network back, instance(s) of ${stopped.map((n) => n.name).join(', ')} started: ${lines.join('; ')}`, problems };
  },
};

const rejoinOne = async (drill: DrillStack, node: string, writer: string): Promise<{ line: string; problem: string | null; reasons: string[] }> => {
  const receipt = (await localHandlers.rejoin({ cluster: drill.cluster.name, node })) as RejoinReceipt;
  const discarded = receipt.discardedBytes ? `, ${formatBytes(receipt.discardedBytes)} written after the fork discarded` : '';
  const line = `${node} ${receipt.outcome}${receipt.method ? ` by ${receipt.method}` : ''}${discarded}`;
  const ok = receipt.outcome === 'rejoined' && receipt.writer === writer;
  return { line, problem: ok ? null : `rejoin of ${node}: ${receipt.outcome} (${receipt.reasons.join('; ')})`, reasons: receipt.reasons.map((r) => `rejoin ${node}: ${r}`) };
};

/** `pgfo rejoin` (the operator Lambda, its document run on the local node) for each node that does not follow the writer. */
export const rejoinDetached: LegSpec = {
  name: 'rejoin',
  alarmDriven: false,
  expect: (roles) => ({
    writer: roles.writer.name,
    loss: 'none',
    fenced: null,
    description: `${roles.detached.map((n) => n.name).join(' and ') || 'nothing'} rejoined as standby(s) of ${roles.writer.name}`,
  }),
  act: async (drill, roles) => {
    if (roles.detached.length === 0) throw new Error('rejoin: no node to rejoin (every running node already follows the writer)');
    const done = [];
    for (const node of roles.detached) done.push(await rejoinOne(drill, node.name, roles.writer.name));
    return { description: done.map((d) => d.line).join('; '), reasons: done.flatMap((d) => d.reasons), problems: done.flatMap((d) => (d.problem ? [d.problem] : [])) };
  },
};

/**
 * A planned switchover back to the configured primary (which rejoins the former writer itself), then
 * every node that does not follow it rejoined: the former writer when its rejoin failed, and a
 * standby the switchover could not re-point (one that received WAL of the old writer past the new
 * timeline's fork; the switchover says so).
 */
const switchoverHome: LegSpec = {
  name: 'switchover home',
  alarmDriven: false,
  expect: (roles) => ({
    writer: roles.home.name,
    loss: 'none',
    fenced: null,
    description: `switchover to ${roles.home.name} with no acknowledged row lost, ${roles.writer.name} and any standby left behind rejoined`,
  }),
  act: async (drill, roles) => {
    const home = roles.home.name;
    if (home === roles.writer.name) throw new Error(`switchover home: ${home} is already the writer`);
    const receipt = await runSwitchover({ cluster: drill.cluster.name, to: home });
    const problems = receipt.outcome === 'switched' ? [] : [`switchover to ${home}: ${receipt.outcome} (${receipt.reasons.join('; ')})`];
    if (problems.length > 0) return { description: `switchover to ${home}: ${receipt.outcome}`, receipt, reasons: receipt.reasons, problems };
    const after = await observeRoles(drill);
    if (after.writer.name !== home) return { description: `switchover to ${home}: ${receipt.outcome}, but ${after.writer.name} writes`, receipt, reasons: receipt.reasons };
    const rejoined = [];
    for (const node of after.detached) rejoined.push(await rejoinOne(drill, node.name, home));
    return {
      description: `switchover to ${home}: ${receipt.outcome}; ${rejoined.map((r) => r.line).join('; ') || 'every node follows it'}`,
      receipt,
      reasons: [...receipt.reasons, ...rejoined.flatMap((r) => r.reasons)],
      problems: rejoined.flatMap((r) => (r.problem ? [r.problem] : [])),
    };
  },
};

const SEQUENCES: Record<Exclude<SequenceScenario, 'double-region'>, SequenceSpec> = {
  'second-failover': {
    name: 'second-failover',
    payloadBytes: 1000,
    description: 'primary crash (synchronous standby promoted), then the new writer’s host dies (the DR replica promoted), the configuration never edited',
    prepare: async (drill) => slowInterRegion(drill),
    legs: [writerCrash('primary crash', 'local'), writerCrash('new writer’s host dies', 'remote')],
  },
  'round-trip': {
    name: 'round-trip',
    payloadBytes: 1000,
    description: 'region outage (DR promoted), the region returns read-only, both rejoined, switchover home, then a primary crash',
    prepare: async (drill) => slowInterRegion(drill),
    legs: [regionOutage, regionReturns, rejoinDetached, switchoverHome, writerCrash('primary crash', 'local')],
  },
};

/** The sequences of one control plane; drill/sequences.ts names every sequence (double-region is built from these legs there). */
export const sequenceNamed = (name: Exclude<SequenceScenario, 'double-region'>): SequenceSpec => SEQUENCES[name];

export type { ObservedNode };

/** Acknowledged rows against the ids a node holds: how many are missing, and how many of those lie before the last one it holds. Pure. */
export const lossOf = (acked: number[], present: Set<number>): { acked: number; lost: number; holes: number } => {
  // Not Math.max(...present): a leg that waits on boots acknowledges hundreds of thousands of rows, past the call stack's limit for a spread.
  let last = 0;
  for (const id of present) if (id > last) last = id;
  const missing = acked.filter((id) => !present.has(id));
  return { acked: acked.length, lost: missing.length, holes: missing.filter((id) => id < last).length };
};

/** What the drill found after a leg, by itself. */
export interface LegObserved {
  writers: string[];
  dnsTarget: string | null;
  ssm: Array<{ name: string; region: string; host: string; port: number }>;
  /** The leg's acknowledged rows on the writer afterwards (null: could not be counted). */
  loss: { acked: number; lost: number; holes: number } | null;
  payloadBytes: number;
  /** The receipt's bound on what the promoted node had not received, bytes (null: no receipt said). */
  receiptBoundBytes: number | null;
  fencing: { node: string; fenced: boolean } | null;
  nodes: ObservedNode[];
  writerBefore: string;
  timelineBefore: number | null;
  timelineAfter: number | null;
  /** The application wrote again through DATABASE_URL (when the writer moved). */
  appRecovered: boolean;
  actionProblems: string[];
}

/** Every way a leg's outcome differs from its expectation; empty when it held. Pure. */
export const legProblems = (expected: LegExpectation, seen: LegObserved, nodes: NodeConfig[]): string[] => {
  const problems: string[] = [...seen.actionProblems];
  const writer = nodes.find((n) => n.name === expected.writer)!;
  if (seen.writers.length !== 1 || seen.writers[0] !== writer.name) {
    problems.push(`expected ${writer.name} to be the one writer; ${seen.writers.length === 0 ? 'no node takes writes' : `${seen.writers.join(' and ')} take(s) writes`}`);
  }
  if (seen.dnsTarget !== writer.dnsName) problems.push(`DNS points at ${seen.dnsTarget ?? 'nothing'}, expected ${writer.dnsName}`);
  for (const p of seen.ssm) {
    if (p.host !== writer.host || p.port !== writer.port) problems.push(`DATABASE_URL ${p.name} in ${p.region} points at ${p.host}:${p.port}, expected ${writer.name} (${writer.host}:${writer.port})`);
  }
  const loss = seen.loss;
  if (loss === null) problems.push(`the leg's acknowledged rows could not be counted on ${writer.name}`);
  else if (loss.acked === 0) problems.push('no row was acknowledged during the leg: its loss proves nothing');
  else if (expected.loss === 'none' && loss.lost > 0) problems.push(`${loss.lost} of ${loss.acked} acknowledged row(s) lost where none may be`);
  else if (expected.loss === 'bounded') {
    if (loss.holes > 0) problems.push(`${loss.holes} acknowledged row(s) missing on ${writer.name} before the last one it holds: it lost rows it had received`);
    const lostBytes = loss.lost * seen.payloadBytes;
    if (seen.receiptBoundBytes === null && loss.lost > 0) problems.push(`${loss.lost} acknowledged row(s) lost and the receipt states no bound`);
    else if (seen.receiptBoundBytes !== null && lostBytes > seen.receiptBoundBytes) {
      problems.push(`${loss.lost} acknowledged row(s) lost (at least ${formatBytes(lostBytes)} of payload), more than the receipt's bound of ${formatBytes(seen.receiptBoundBytes)}`);
    }
  }
  if (expected.fenced) {
    if (seen.fencing?.node !== expected.fenced || !seen.fencing.fenced) {
      problems.push(`expected the workflow to fence ${expected.fenced}; its receipt says ${seen.fencing ? `${seen.fencing.node} ${seen.fencing.fenced ? 'fenced' : 'not fenced'}` : 'nothing'}`);
    }
    const node = seen.nodes.find((n) => n.name === expected.fenced);
    if (node?.observed !== 'down' || node.instanceState !== 'stopped') problems.push(`${expected.fenced} is not fenced: PostgreSQL ${node?.observed ?? 'unknown'}, instance ${node?.instanceState ?? 'unknown'}`);
  }
  const moved = seen.writerBefore !== writer.name;
  if (seen.timelineBefore === null || seen.timelineAfter === null) problems.push(`the writer's timeline is unknown (before ${seen.timelineBefore ?? '?'}, after ${seen.timelineAfter ?? '?'})`);
  else if (moved ? seen.timelineAfter <= seen.timelineBefore : seen.timelineAfter !== seen.timelineBefore) {
    problems.push(`timeline ${seen.timelineBefore} → ${seen.timelineAfter}: expected ${moved ? 'a higher one after the writer moved' : 'the same one, the writer unchanged'}`);
  }
  if (moved && !seen.appRecovered) problems.push('the application did not write again through DATABASE_URL');
  return problems;
};

/** Checks over the whole sequence, once every leg ran. Pure. */
export const sequenceProblems = (input: {
  /** Probe rounds: the nodes a fresh application session could write on. */
  rounds: Array<{ at: number; writable: string[] }>;
  startedAt: number;
  /** Per leg: rows lost when the leg ended, and on the final writer at the end. */
  rows: Array<{ leg: string; lostAtLeg: number | null; lostAtEnd: number | null }>;
  configChanged: boolean;
  executions: number;
  alarmDrivenLegs: number;
}): string[] => {
  const problems: string[] = [];
  const split = input.rounds.filter((r) => r.writable.length > 1);
  if (split.length > 0) {
    const first = split[0]!;
    problems.push(`split brain: ${split.length} probe round(s) found more than one writer, the first at ${formatDuration(first.at - input.startedAt)}: ${first.writable.join(' and ')}`);
  }
  if (input.rounds.length === 0) problems.push('the split-brain probe ran no round');
  for (const r of input.rows) {
    if (r.lostAtEnd === null) problems.push(`rows of leg "${r.leg}" could not be counted on the final writer`);
    else if (r.lostAtLeg !== null && r.lostAtEnd > r.lostAtLeg) problems.push(`${r.lostAtEnd - r.lostAtLeg} row(s) acknowledged in leg "${r.leg}" that survived it are missing at the end`);
  }
  if (input.configChanged) problems.push('the configuration file changed during the drill: every leg must run on the configuration it started with');
  if (input.executions !== input.alarmDrivenLegs) problems.push(`${input.executions} failover execution(s) ran; the sequence has ${input.alarmDrivenLegs} fault(s) for the alarm`);
  return problems;
};
