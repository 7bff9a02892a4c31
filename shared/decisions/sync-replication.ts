import type { NodeRole, SynchronousMode } from '../config/schema';

/**
 * Which standby the writer names in synchronous_standby_names (policy.synchronousMode). Pure: the
 * caller hands the writer's own view (its pg_stat_replication, the age of its oldest commit waiting
 * on SyncRep, the setting now) and gets what to set, or why nothing changes.
 */

/** One configured node other than the writer, as the writer sees it. */
export interface SyncStandbyView {
  node: string;
  region: string;
  /** Configured role: which node is meant to be synchronous, not a fact about now. */
  configuredRole: NodeRole;
  /** The writer lists it with state 'streaming' (caught up once, WAL sender running). */
  streaming: boolean;
  /** Seconds since its last reply (pg_stat_replication.reply_time, on the writer's clock); null without one. */
  replyAgeSeconds: number | null;
  /** Seconds it has been seen not streaming (absent, or another state); null when unknown or streaming. */
  notStreamingSeconds: number | null;
  /** Fenced in the cluster record: never named. */
  fenced: boolean;
}

export interface SyncFacts {
  mode: SynchronousMode;
  lossSeconds: number;
  writer: { node: string; region: string };
  /** The writer's synchronous_standby_names now. */
  current: string;
  standbys: SyncStandbyView[];
  /** Age of the oldest commit waiting on SyncRep (pg_stat_activity), seconds; null or 0: none waits. */
  oldestWaitSeconds: number | null;
}

export type SyncVerdict =
  | { change: false; node: string | null; reason: string; page: string | null }
  | {
      change: true;
      /** The value to set. */
      names: string;
      /** The standby it names, or null for none. */
      node: string | null;
      /** The standby named before (null: none, or a value this control plane does not write). */
      previous: string | null;
      /** Commits will be acknowledged by the writer alone (the synchronous standby was dropped for none). */
      degraded: boolean;
      reason: string;
    };

const quoteName = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The value that names `node` as the one synchronous standby, or none. */
export const synchronousNames = (node: string | null): string => (node === null ? '' : `FIRST 1 (${quoteName(node)})`);

/**
 * The standbys a synchronous_standby_names value names, with how many must confirm: `FIRST n (…)`,
 * `ANY n (…)`, `n (…)` or a bare list (which means FIRST 1). Quoted names are unquoted.
 */
export const parseSynchronousNames = (value: string): { count: number; nodes: string[] } => {
  const text = value.trim();
  if (text === '') return { count: 0, nodes: [] };
  const match = /^(?:(FIRST|ANY)\s+)?(\d+)\s*\((.*)\)$/is.exec(text);
  const count = match ? Number(match[2]) : 1;
  const list = match ? match[3]! : text;
  const nodes = (list.match(/"(?:[^"]|"")*"|[^,\s][^,]*/g) ?? []).map((item) => {
    const trimmed = item.trim();
    return trimmed.startsWith('"') ? trimmed.slice(1, -1).replace(/""/g, '"') : trimmed;
  });
  return { count, nodes };
};

/** The one standby the value names with FIRST/ANY 1, or null (none, several, or a wildcard). */
const namedNode = (value: string): string | null => {
  const { count, nodes } = parseSynchronousNames(value);
  return count === 1 && nodes.length === 1 && nodes[0] !== '*' ? nodes[0]! : null;
};

const RANK: Record<NodeRole, number> = { 'sync-standby': 0, primary: 1, 'async-standby': 2 };

/** In the writer's region, not the writer, not fenced: may be named synchronous. */
const eligible = (s: SyncStandbyView, writer: SyncFacts['writer']): boolean => s.region === writer.region && s.node !== writer.node && !s.fenced;

/** Streaming, with a reply younger than the loss window. */
const healthy = (s: SyncStandbyView, lossSeconds: number): boolean => s.streaming && s.replyAgeSeconds !== null && s.replyAgeSeconds < lossSeconds;

/** The best standby to name: the configured sync-standby first, then a former primary, then the others. */
const best = (facts: SyncFacts, keep: (s: SyncStandbyView) => boolean): SyncStandbyView | undefined =>
  facts.standbys
    .filter((s) => eligible(s, facts.writer) && keep(s))
    .sort((a, b) => RANK[a.configuredRole] - RANK[b.configuredRole] || a.node.localeCompare(b.node))[0];

const age = (seconds: number) => `${seconds.toFixed(1)} s`;

/**
 * Why the named standby counts as lost, or null. Commits waiting on SyncRep for the whole window are
 * the harm itself; with none waiting, a standby silent for twice the window (an idle healthy one
 * replies every wal_receiver_status_interval) is gone too. Its row in pg_stat_replication proves
 * nothing: a powered-off standby keeps it until wal_sender_timeout.
 */
const lossOf = (s: SyncStandbyView, facts: SyncFacts): string | null => {
  const silence = s.streaming ? s.replyAgeSeconds : s.notStreamingSeconds;
  const state = s.streaming ? `its last reply ${silence === null ? 'never came' : `was ${age(silence)} ago`}` : `it has not streamed${silence === null ? '' : ` for ${age(silence)}`}`;
  const waited = facts.oldestWaitSeconds ?? 0;
  if (waited >= facts.lossSeconds) return `commits have waited ${age(waited)} on ${s.node} (syncLossSeconds ${facts.lossSeconds}); ${state}`;
  if (silence !== null && silence >= 2 * facts.lossSeconds) return `${s.node} is silent: ${state} (twice syncLossSeconds ${facts.lossSeconds}), no commit waiting`;
  return null;
};

const change = (facts: SyncFacts, node: string | null, previous: string | null, reason: string): SyncVerdict => ({
  change: true,
  names: synchronousNames(node),
  node,
  previous,
  degraded: node === null && facts.current.trim() !== '',
  reason,
});

/**
 * What the writer's synchronous_standby_names should become. `off`: never touched. `on`: the named
 * standby is kept while it is in the writer's region and not lost; otherwise the best in-region
 * healthy standby is named, or none. `strict`: as `on`, but never none while a standby is named or
 * could be: a lost one is kept (and paged), and an empty value names the best in-region standby even
 * before it streams (commits wait for it rather than be acknowledged by the writer alone).
 */
export const decideSynchronous = (facts: SyncFacts): SyncVerdict => {
  if (facts.mode === 'off') return { change: false, node: null, reason: 'synchronousMode is off: synchronous_standby_names is not managed', page: null };
  const current = namedNode(facts.current);
  const named = facts.standbys.find((s) => s.node === current);
  const replacement = best(facts, (s) => healthy(s, facts.lossSeconds) && s.node !== current);
  if (facts.current.trim() !== '' && (!named || !eligible(named, facts.writer))) {
    const why = !named
      ? `${facts.current} does not name exactly one standby of this cluster`
      : named.fenced
        ? `${named.node} is fenced`
        : `${named.node} is not in ${facts.writer.node}'s region (${facts.writer.region})`;
    if (replacement) return change(facts, replacement.node, current, `${why}: ${replacement.node} streams in ${facts.writer.region} and becomes synchronous`);
    if (facts.mode === 'strict') return { change: false, node: current, reason: `${why}, and no standby in ${facts.writer.region} streams: kept (strict)`, page: `${facts.writer.node}: ${why}; strict mode keeps it` };
    return change(facts, null, current, `${why}, and no standby in ${facts.writer.region} streams: none is synchronous`);
  }
  if (named) {
    const lost = lossOf(named, facts);
    if (!lost) return { change: false, node: named.node, reason: `${named.node} is synchronous and streaming`, page: null };
    if (replacement) return change(facts, replacement.node, named.node, `${lost}: ${replacement.node} streams in ${facts.writer.region} and becomes synchronous`);
    if (facts.mode === 'strict') {
      return { change: false, node: named.node, reason: `${lost}: no other standby in ${facts.writer.region} streams; kept (strict: commits wait)`, page: `${facts.writer.node}'s synchronous standby ${named.node} is lost (${lost}); strict mode keeps it: commits wait` };
    }
    return change(facts, null, named.node, `${lost}: no other standby in ${facts.writer.region} streams; none is synchronous (commits are acknowledged by ${facts.writer.node} alone)`);
  }
  // None is named.
  const restored = best(facts, (s) => healthy(s, facts.lossSeconds));
  if (restored) return change(facts, restored.node, null, `${restored.node} streams in ${facts.writer.region}: it becomes synchronous`);
  if (facts.mode === 'strict') {
    const waitFor = best(facts, () => true);
    if (waitFor) return change(facts, waitFor.node, null, `no standby in ${facts.writer.region} streams yet: ${waitFor.node} is named (strict: commits wait for it)`);
    return { change: false, node: null, reason: `no standby in ${facts.writer.region} can be synchronous`, page: `${facts.writer.node} has no standby in its region (${facts.writer.region}) to be synchronous; strict mode cannot hold` };
  }
  return { change: false, node: null, reason: `no standby in ${facts.writer.region} streams: none is synchronous`, page: null };
};
