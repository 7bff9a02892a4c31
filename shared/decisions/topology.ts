import type { ClusterRecord, ObservedRole } from './cluster-record';

/**
 * Who the writer is, from the cluster record and what each node says about itself. Pure: facts in,
 * verdict (with every contradiction spelled out) out.
 */

/** What one node says about its role, timeline and upstream (or why it could not be asked). */
export interface NodeTopology {
  node: string;
  reachable: boolean;
  reason?: string;
  inRecovery: boolean | null;
  /** default_transaction_read_only is on: a switchover's demoted primary is read-only, not a writer. */
  readOnly: boolean | null;
  /** The writer's current timeline, or the newest timeline of WAL a standby has. */
  timeline: number | null;
  /** The configured node this standby streams from (or, without a receiver, is set to stream from). */
  upstream: string | null;
  /** host:port of an upstream that matches no configured node. */
  upstreamAddress: string | null;
  /** Its WAL receiver is streaming now. */
  streaming: boolean;
  receiveLsn: number | null;
  replayLsn: number | null;
  /** Writer only: pg_current_wal_lsn(). */
  currentLsn: number | null;
}

export const roleOf = (node: NodeTopology): ObservedRole =>
  !node.reachable ? 'unreachable' : node.inRecovery ? 'standby' : node.readOnly ? 'read-only' : 'writer';

export interface Follower {
  node: string;
  following: boolean;
  /** Why it does not follow the writer (another upstream, another timeline, unreachable). */
  reason: string;
}

export type WriterVerdict =
  | {
      known: true;
      writer: string;
      timeline: number | null;
      /** The writer answered as writable now (else it is the record's writer, not observed). */
      observed: boolean;
      /** Every other node: does it follow the writer on its timeline, and if not why. */
      followers: Follower[];
      notes: string[];
      roles: Record<string, ObservedRole>;
    }
  | { known: false; reason: string; contradictions: string[]; roles: Record<string, ObservedRole> };

const tl = (timeline: number | null) => (timeline === null ? 'an unknown timeline' : `timeline ${timeline}`);

const followerOf = (node: NodeTopology, writer: string, timeline: number | null, record: ClusterRecord): Follower => {
  const base = { node: node.node };
  if (record.fenced[node.node]) return { ...base, following: false, reason: `${node.node} is fenced (${record.fenced[node.node]!.reason})` };
  const role = roleOf(node);
  if (role === 'unreachable') return { ...base, following: false, reason: `${node.node} does not answer (${node.reason ?? 'unreachable'})` };
  if (role !== 'standby') return { ...base, following: false, reason: `${node.node} is ${role === 'read-only' ? 'a read-only former primary' : 'writable'}, not a standby` };
  if (node.upstream !== null && node.upstream !== writer) {
    return { ...base, following: false, reason: `${node.node} streams from ${node.upstream}, not from ${writer}` };
  }
  if (timeline !== null && node.timeline !== null && node.timeline !== timeline) {
    return { ...base, following: false, reason: `${node.node} is on timeline ${node.timeline}, ${writer} on timeline ${timeline}` };
  }
  // Positions are comparable only on one history: a standby whose timeline cannot be read is not
  // proven to be on the writer's, so its LSN says nothing about what it lacks.
  if (timeline !== null && node.timeline === null) {
    return { ...base, following: false, reason: `${node.node} reports no timeline: its position cannot be compared with ${writer}'s on timeline ${timeline}` };
  }
  // An upstream address the configuration does not name (a proxy, a DNS alias) on the writer's
  // timeline: following as far as can be told; the lag guard still measures it.
  const via = node.upstream === null ? ` via ${node.upstreamAddress ?? 'an unknown upstream'}` : '';
  return { ...base, following: true, reason: `${node.node} follows ${writer}${via} on ${tl(node.timeline)}${node.streaming ? '' : ' (receiver not streaming now)'}` };
};

/**
 * The writer's timeline was never recorded (a seeded record) and it does not answer: the newest
 * timeline a standby of it reports stands in for it, so that a standby left on an older history is
 * still not compared with the others by position alone (Patroni compares the timeline first).
 */
const newestStandbyTimeline = (nodes: NodeTopology[], of: string): number | null => {
  const timelines = nodes.filter((n) => n.node !== of && roleOf(n) === 'standby' && n.timeline !== null).map((n) => n.timeline!);
  return timelines.length > 0 ? Math.max(...timelines) : null;
};

/**
 * Does each node but `of` follow `of` on `timeline`? (candidates are the nodes following the failed
 * writer) A standby streaming from another standby that follows it (cascading, as a candidate does
 * while it fetches WAL it lacked) follows it too.
 */
export const followersOf = (record: ClusterRecord, nodes: NodeTopology[], of: string, timeline: number | null): Follower[] => {
  const reference = timeline ?? newestStandbyTimeline(nodes, of);
  const direct = nodes.filter((n) => n.node !== of).map((n) => followerOf(n, of, reference, record));
  return direct.map((follower) => {
    const seen = nodes.find((n) => n.node === follower.node)!;
    const via = direct.find((d) => d.following && d.node === seen.upstream);
    if (follower.following || !via || roleOf(seen) !== 'standby' || record.fenced[seen.node]) return follower;
    if (reference !== null && seen.timeline !== reference) return follower;
    return { node: follower.node, following: true, reason: `${follower.node} follows ${of} through ${via.node} (cascading) on ${tl(seen.timeline)}` };
  });
};

/**
 * The writer whose failure a failover handles: the record's writer, unless the record shows a
 * failover that promoted a node but did not finish (then its failed writer, so that a re-run
 * converges on the node already promoted instead of failing that one over too).
 */
export const failedWriterOf = (record: ClusterRecord, writer: string): { node: string; resuming: boolean } => {
  const incident = record.lastIncident;
  if (incident && !incident.completed && incident.to === writer && incident.from && incident.kind === 'failover') {
    return { node: incident.from, resuming: true };
  }
  return { node: writer, resuming: false };
};

/**
 * The writer of the cluster: the one node observed writable when the record agrees, the record's
 * writer when no node is observed writable (it is down, or cannot be reached), and a refusal when
 * the facts contradict each other: two writers, a writer the record fenced, a writer on an older
 * timeline than the record's, a standby on a newer timeline than the writer's. A read-only former
 * primary is not a writer. A freshly seeded record (no timeline yet) is a guess from the
 * configuration: the observed writer overrides it.
 */
export const decideWriter = (record: ClusterRecord, nodes: NodeTopology[]): WriterVerdict => {
  const roles = Object.fromEntries(nodes.map((n) => [n.node, roleOf(n)]));
  const writers = nodes.filter((n) => roleOf(n) === 'writer');
  const contradictions: string[] = [];
  const notes: string[] = [];
  if (writers.length > 1) {
    contradictions.push(`two writers: ${writers.map((w) => `${w.node} on ${tl(w.timeline)}`).join(' and ')}`);
  }
  for (const w of writers) {
    const fence = record.fenced[w.node];
    if (fence) contradictions.push(`${w.node} accepts writes but the record fenced it at ${fence.at} (${fence.reason})`);
  }
  const seen = writers.length === 1 ? writers[0]! : null;
  if (seen && seen.node !== record.writer && record.timeline !== null) {
    if (seen.timeline === null || seen.timeline <= record.timeline) {
      contradictions.push(`${seen.node} accepts writes on ${tl(seen.timeline)}, but the record's writer is ${record.writer} on timeline ${record.timeline}`);
    } else {
      notes.push(`the record names ${record.writer} (timeline ${record.timeline}); ${seen.node} writes on the newer timeline ${seen.timeline}: the record is behind`);
    }
  }
  if (seen && seen.node === record.writer && record.timeline !== null && seen.timeline !== null && seen.timeline < record.timeline) {
    contradictions.push(`${seen.node} writes on timeline ${seen.timeline}, older than the record's timeline ${record.timeline}`);
  }
  if (seen && seen.node !== record.writer && record.timeline === null) {
    notes.push(`the record was seeded from the configuration (${record.writer}); ${seen.node} is the node observed writable`);
  }
  const writer = seen?.node ?? record.writer;
  const timeline = seen?.timeline ?? record.timeline;
  for (const n of nodes) {
    // (once the writer itself is in doubt, a standby's timeline says nothing more)
    if (contradictions.length > 0 || n.node === writer || roleOf(n) !== 'standby' || timeline === null || n.timeline === null) continue;
    if (n.timeline > timeline) contradictions.push(`${n.node} is on timeline ${n.timeline}, ahead of the writer ${writer} on timeline ${timeline}: promoted outside this control plane?`);
  }
  if (contradictions.length > 0) {
    return {
      known: false,
      contradictions,
      roles,
      reason: `the cluster's state is contradictory: ${contradictions.join('; ')} (once what must not write is stopped or rejoined, \`pgfo resolve --writer NODE\` records the node that does)`,
    };
  }
  if (!seen) notes.push(`no node answers as writable: the writer is the record's ${record.writer} (generation ${record.generation})`);
  const followers = followersOf(record, nodes, writer, timeline);
  return { known: true, writer, timeline, observed: seen !== null, followers, notes, roles };
};

/** A configured node's address as another node may reach it. */
export interface NodeAddress {
  node: string;
  host: string;
  port: number;
}

/** The configured node at host:port (its own address or one of its replication endpoints). */
export const nodeAt = (addresses: NodeAddress[], host: string | null, port: number | null): string | null => {
  if (host === null || port === null) return null;
  return addresses.find((a) => a.host === host && a.port === port)?.node ?? null;
};
