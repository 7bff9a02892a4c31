import { synchronousNames } from './sync-replication';

/** What the re-pointing of the surviving standbys decides. Pure. */

export interface FollowerView {
  node: string;
  region: string;
  /** Configured role: policy (which node is meant to be synchronous), not a fact about now. */
  configuredRole: 'primary' | 'sync-standby' | 'async-standby';
}

/**
 * synchronous_standby_names for a new writer, given the standbys verified streaming from it: one
 * synchronous standby in the writer's own region (a synchronous commit across regions would put the
 * inter-region round trip on every commit), the configured sync-standby first, then the configured
 * primary (a former writer rejoined), then the others; empty when none is in reach, so that commits
 * never wait for a standby that is not there. Exactly one is named, so that the cluster record can
 * say which node holds every acknowledged commit (with several, PostgreSQL picks among them itself).
 */
export const synchronousStandbyNamesFor = (writer: { node: string; region: string }, streaming: FollowerView[]): string => {
  const rank = { 'sync-standby': 0, primary: 1, 'async-standby': 2 } as const;
  const eligible = streaming
    .filter((s) => s.region === writer.region && s.node !== writer.node)
    .sort((a, b) => rank[a.configuredRole] - rank[b.configuredRole] || a.node.localeCompare(b.node));
  return synchronousNames(eligible[0]?.node ?? null);
};

/**
 * A standby that received WAL of the old timeline beyond where the new writer's timeline forked off
 * cannot follow it (it needs pg_rewind or a new base backup). `forkLsn` is an upper bound of the fork
 * point (the new writer's position just after promotion): a standby past it has certainly diverged.
 */
export const divergence = (
  standby: { node: string; timeline: number | null; receiveLsn: number | null },
  writer: { node: string; timeline: number | null; forkLsn: number | null },
): string | null => {
  if (standby.timeline === null || writer.timeline === null || writer.forkLsn === null || standby.receiveLsn === null) return null;
  if (standby.timeline >= writer.timeline) return null;
  if (standby.receiveLsn <= writer.forkLsn) return null;
  return `${standby.node} received WAL of timeline ${standby.timeline} up to ${standby.receiveLsn}, past where ${writer.node}'s timeline ${writer.timeline} forked off (at most ${writer.forkLsn}): it cannot follow without pg_rewind or a new base backup`;
};

export type FollowerOutcome =
  | 'streaming'
  | 'not-streaming'
  | 'diverged'
  | 'unreachable'
  | 'skipped';

export interface FollowerReport {
  node: string;
  outcome: FollowerOutcome;
  /** primary_conninfo was rewritten (false: it already pointed at the writer). */
  repointed: boolean;
  /** What became of its replication slot on the new writer. */
  slot: 'none' | 'exists' | 'created' | 'cleared';
  detail: string;
}

export interface FollowersResult {
  writer: string;
  timeline: number | null;
  followers: FollowerReport[];
  /** What the new writer's synchronous_standby_names is now. */
  synchronousStandbyNames: string;
  /** Generation of the cluster record that holds the observed followers (null when not recorded). */
  generation: number | null;
}

