import type { Client } from 'pg';
import type { ClusterContext } from '../config/cluster-context';
import type { NodeConfig } from '../config/schema';
import { nextRecord, synchronousOf, type ClusterRecord, type NodeRecord } from '../decisions/cluster-record';
import { divergence, synchronousStandbyNamesFor, type FollowerOutcome, type FollowerReport, type FollowersResult } from '../decisions/followers';

export type { FollowersResult } from '../decisions/followers';
import { nodeAt, roleOf, type NodeTopology } from '../decisions/topology';
import { RecordConflictError } from '../errors';
import { log } from '../log';
import { conninfoTarget, retargetConninfo } from '../postgres/conninfo';
import {
  createPhysicalSlot,
  readPrimaryConninfo,
  readPrimarySlotName,
  readSynchronousStandbyNames,
  receiverState,
  reloadConfiguration,
  setPrimaryConninfo,
  setPrimarySlotName,
  setSynchronousStandbyNames,
  slotExists,
  streamingReplicas,
} from '../postgres/follow-sql';
import { sleep } from '../time';
import { clusterRecordStore } from '../workflow/environment';
import { failoverConnection, withFailoverConnection } from './failover-connection';
import { closeQuietly } from '../postgres/connect';
import { nodeAddresses, observeNodes, readRecord, replicationAddress } from './topology';

/** How often a re-pointed standby's receiver is looked at: one query over a session already open. */
const POLL_MS = 10;

/**
 * The standby's replication slot must exist on the new writer, or its receiver never connects. The
 * failover login creates it when it has the REPLICATION attribute; otherwise the standby stops using
 * a slot (WAL retention then rests on wal_keep_size) and the report says so.
 */
const carrySlot = async (standby: Client, writer: Client): Promise<FollowerReport['slot']> => {
  const slot = await readPrimarySlotName(standby);
  if (!slot) return 'none';
  if (await slotExists(writer, slot)) return 'exists';
  if (await createPhysicalSlot(writer, slot)) return 'created';
  await setPrimarySlotName(standby, '');
  return 'cleared';
};

/** Rewrites host and port of the standby's primary_conninfo (user, password, application_name kept). */
const repointOne = async (client: Client, node: NodeConfig, writer: NodeConfig, writerClient: Client) => {
  const target = replicationAddress(writer, node);
  const current = await readPrimaryConninfo(client);
  const now = conninfoTarget(current);
  const repointed = now.host !== target.host || now.port !== target.port;
  if (repointed) await setPrimaryConninfo(client, retargetConninfo(current, target.host, target.port));
  const slot = await carrySlot(client, writerClient);
  if (repointed || slot === 'cleared') await reloadConfiguration(client);
  return { repointed, slot };
};

/** Waits (bounded) until `node` streams from the writer on its timeline. */
const awaitStreaming = async (
  context: ClusterContext,
  client: Client,
  node: NodeConfig,
  writer: NodeConfig,
  timeline: number | null,
  writerClient: Client,
  deadline: number,
): Promise<{ streaming: boolean; detail: string }> => {
  const addresses = nodeAddresses(context.cluster);
  let last = 'no WAL receiver';
  for (;;) {
    const state = await receiverState(client);
    const fromWriter = nodeAt(addresses, state.senderHost, state.senderPort) === writer.name || (await streamingReplicas(writerClient)).includes(node.name);
    const onTimeline = timeline === null || state.timeline === timeline;
    if (state.status === 'streaming' && fromWriter && onTimeline) {
      return { streaming: true, detail: `${node.name} streams from ${writer.name} on timeline ${state.timeline}` };
    }
    last = `receiver ${state.status ?? 'not running'}${state.senderHost ? ` from ${state.senderHost}:${state.senderPort}` : ''}, timeline ${state.timeline ?? 'unknown'}`;
    if (Date.now() >= deadline) return { streaming: false, detail: `${node.name} does not stream from ${writer.name} after the wait: ${last}` };
    await sleep(POLL_MS);
  }
};

/** One session per standby: re-points it to `writer`, then waits (bounded) until it streams from it. */
const repointAndWatch = (context: ClusterContext, node: NodeConfig, writer: NodeConfig, timeline: number | null, writerClient: Client, deadline: number) =>
  withFailoverConnection(context, node, (client) => repointOver(client, context, node, writer, timeline, writerClient, deadline));

const repointOver = async (client: Client, context: ClusterContext, node: NodeConfig, writer: NodeConfig, timeline: number | null, writerClient: Client, deadline: number) => {
  const changed = await repointOne(client, node, writer, writerClient);
  return { ...changed, verified: await awaitStreaming(context, client, node, writer, timeline, writerClient, deadline) };
};

const skipReason = (seen: NodeTopology, excluded: Map<string, string>): { outcome: FollowerOutcome; detail: string } | null => {
  const why = excluded.get(seen.node);
  if (why) return { outcome: 'skipped', detail: `${seen.node} not re-pointed: ${why}` };
  const role = roleOf(seen);
  if (role === 'unreachable') return { outcome: 'unreachable', detail: `${seen.node} does not answer (${seen.reason ?? 'unreachable'}): not re-pointed` };
  if (role === 'read-only') return { outcome: 'skipped', detail: `${seen.node} is a read-only former primary: rejoin it with pg_rewind before it can follow` };
  if (role === 'writer') return { outcome: 'skipped', detail: `${seen.node} accepts writes: not touched (a second writer; fence it)` };
  return null;
};

/**
 * Makes every surviving standby follow the new writer — primary_conninfo rewritten to its address
 * (its cross-region endpoint where configured), reloaded, then verified streaming from it on its
 * timeline within `followTimeoutSeconds` — and sets the writer's synchronous_standby_names to what
 * the policy implies for the standbys that now stream. A diverged, unreachable or slow standby is
 * reported, never waited for beyond the bound. Every part can run twice.
 */
export const repointFollowers = async (
  context: ClusterContext,
  writer: NodeConfig,
  options: {
    excluded: Map<string, string>;
    forkLsn: number | null;
    by: string;
    /** The nodes as the caller observed them just before (else observed here). */
    observed?: NodeTopology[];
    /** The cluster record as the caller read it just before: the followers are recorded on it (re-read on a conflict). */
    record?: ClusterRecord;
  },
): Promise<FollowersResult> => {
  const { cluster } = context;
  const observed = options.observed ?? (await observeNodes(context, { reuseSessions: true }));
  const writerSeen = observed.find((n) => n.node === writer.name);
  const timeline = writerSeen?.timeline ?? null;
  // Which standbys are left alone is known from what was observed; the others' sessions are opened
  // at the same time as the writer's (no handshake waits for another).
  const plans = observed
    .filter((seen) => seen.node !== writer.name)
    .map((seen): { report: FollowerReport } | { node: NodeConfig } => {
      const node = cluster.nodes.find((n) => n.name === seen.node)!;
      const skipped = skipReason(seen, options.excluded);
      if (skipped) return { report: { node: seen.node, repointed: false, slot: 'none', ...skipped } };
      const diverged = divergence(seen, { node: writer.name, timeline, forkLsn: options.forkLsn });
      if (diverged) return { report: { node: seen.node, outcome: 'diverged', repointed: false, slot: 'none', detail: diverged } };
      return { node };
    });
  const [writerSession, ...sessions] = await Promise.allSettled([
    failoverConnection(context, writer, { queryTimeoutMs: 10_000 }),
    ...plans.map((plan) => ('node' in plan ? failoverConnection(context, plan.node) : Promise.resolve(null))),
  ]);
  try {
    if (writerSession.status === 'rejected') throw writerSession.reason;
    const writerClient = writerSession.value;
    const deadline = Date.now() + cluster.policy.followTimeoutSeconds * 1000;
    const reports = await Promise.all(
      plans.map(async (plan, i): Promise<FollowerReport> => {
        if ('report' in plan) return plan.report;
        const { node } = plan;
        const session = sessions[i]!;
        try {
          if (session.status === 'rejected') throw session.reason;
          const { repointed, slot, verified } = await repointOver(session.value!, context, node, writer, timeline, writerClient, deadline);
          const slotNote = slot === 'cleared' ? ' (its slot does not exist on the writer and the failover login may not create it: now without a slot)' : '';
          return { node: node.name, outcome: verified.streaming ? 'streaming' : 'not-streaming', repointed, slot, detail: `${verified.detail}${slotNote}` };
        } catch (error) {
          return { node: node.name, outcome: 'unreachable', repointed: false, slot: 'none', detail: `${node.name} could not be re-pointed: ${(error as Error).message}` };
        }
      }),
    );
    const streaming = reports.filter((r) => r.outcome === 'streaming').map((r) => cluster.nodes.find((n) => n.name === r.node)!);
    const managed = cluster.policy.synchronousMode !== 'off';
    const names = managed
      ? synchronousStandbyNamesFor(
          { node: writer.name, region: writer.region },
          streaming.map((n) => ({ node: n.name, region: n.region, configuredRole: n.role })),
        )
      : await readSynchronousStandbyNames(writerClient);
    if (managed && (await readSynchronousStandbyNames(writerClient)) !== names) {
      await setSynchronousStandbyNames(writerClient, names);
      await reloadConfiguration(writerClient);
    }
    const generation = await recordFollowers(context, writer, timeline, observed, reports, options.by, options.record, managed ? names : null);
    log.info('followers re-pointed', { cluster: cluster.name, writer: writer.name, followers: reports.map((r) => `${r.node}: ${r.outcome}`), synchronousStandbyNames: names });
    return { writer: writer.name, timeline, followers: reports, synchronousStandbyNames: names, generation };
  } finally {
    await Promise.all([writerSession, ...sessions].map((s) => closeQuietly(s.status === 'fulfilled' ? (s.value ?? undefined) : undefined)));
  }
};

/**
 * Before a switchover promotes `target`, the other standbys stream from it instead of the old
 * primary: the old primary keeps running read-only and still writes WAL now and then (a standby
 * snapshot, a checkpoint); a standby that received any of it after the promotion would be past the
 * fork and could not follow the new timeline. Cascading from the target, a standby never has more
 * than the target. Each is verified streaming from the target within `deadline` (on its current
 * timeline); one that is not is reported, and the switchover goes on (it may then need a rejoin).
 */
export const cascadeFromTarget = async (
  context: ClusterContext,
  target: NodeConfig,
  standbys: NodeConfig[],
  deadline: number,
): Promise<Array<{ node: string; streaming: boolean; detail: string }>> =>
  withFailoverConnection(
    context,
    target,
    (targetClient) =>
      Promise.all(
        standbys.map(async (node) => {
          try {
            const { verified } = await repointAndWatch(context, node, target, null, targetClient, deadline);
            return { node: node.name, ...verified };
          } catch (error) {
            return { node: node.name, streaming: false, detail: `${node.name} could not be re-pointed to ${target.name}: ${(error as Error).message}` };
          }
        }),
      ),
    { queryTimeoutMs: 10_000 },
  );

/**
 * Records each node's role, upstream and timeline as this step left them on `record`, conditionally
 * on its generation. The record must still name this writer.
 * @throws RecordConflictError when it names another writer, or changed since it was read.
 */
const writeFollowers = async (
  context: ClusterContext,
  record: ClusterRecord,
  writer: NodeConfig,
  timeline: number | null,
  observed: NodeTopology[],
  reports: FollowerReport[],
  by: string,
  names: string | null,
): Promise<number> => {
  if (record.writer !== writer.name) {
    throw new RecordConflictError(`${context.cluster.name}: the cluster record names ${record.writer} as the writer, not ${writer.name} (generation ${record.generation}); followers not recorded`);
  }
  const at = new Date().toISOString();
  const nodes: Record<string, NodeRecord> = { ...record.nodes };
  for (const seen of observed) {
    const report = reports.find((r) => r.node === seen.node);
    nodes[seen.node] =
      seen.node === writer.name
        ? { role: 'writer', upstream: null, timeline, observedAt: at }
        : report?.outcome === 'streaming'
          ? { role: 'standby', upstream: writer.name, timeline, observedAt: at }
          : { role: roleOf(seen), upstream: seen.upstream, timeline: seen.timeline, observedAt: at };
  }
  // No standby is recorded synchronous yet: the monitor records it once the writer reports it
  // `sync` and caught up. Until then the new writer's commits count as acknowledged by it alone.
  const kept = synchronousOf(record, writer.name);
  const synchronous = names === null ? record.synchronous ?? null : { writer: writer.name, node: null, names, since: kept && kept.node === null ? kept.since : at };
  const next = nextRecord(record, { nodes, timeline: timeline ?? record.timeline, synchronous }, by, at);
  return (await clusterRecordStore(context.config).update(next, record.generation)).generation;
};

/**
 * Records the followers on the record the step read (`known`), else, or when that one changed
 * meanwhile, on the record read now.
 * @throws RecordConflictError when the record read now names another writer or changes under the write.
 */
const recordFollowers = async (
  context: ClusterContext,
  writer: NodeConfig,
  timeline: number | null,
  observed: NodeTopology[],
  reports: FollowerReport[],
  by: string,
  known: ClusterRecord | undefined,
  names: string | null,
): Promise<number> => {
  if (known) {
    try {
      return await writeFollowers(context, known, writer, timeline, observed, reports, by, names);
    } catch (error) {
      if (!(error instanceof RecordConflictError)) throw error;
    }
  }
  return writeFollowers(context, await readRecord(context), writer, timeline, observed, reports, by, names);
};
