/**
 * What becomes of the old primary once a switchover has moved the writer: brought back as a
 * standby of the new writer by the rejoin, or left aside read-only. The rejoin's own decision and
 * script decide how (shared/decisions/rejoin.ts, host/pgfo-rejoin.sh); these say what happened. Pure.
 */

/** What became of the old primary, as the switchover receipt says it. */
export interface OldPrimaryReport {
  node: string;
  /** rejoined: a standby streaming from the new writer; left-aside: read-only, as asked; rejoin-failed: the reason says in what state it is. */
  outcome: 'rejoined' | 'left-aside' | 'rejoin-failed';
  reason: string;
  /** rewind or basebackup, when the rejoin ran. */
  method: string | null;
  /** The Run Command that ran the rejoin. */
  commandId: string | null;
}

/** A rejoin's receipt, as far as this reads it. */
export interface RejoinOutcome {
  outcome: 'rejoined' | 'dry-run' | 'refused' | 'failed';
  reasons: string[];
  method: string | null;
  forkLsn: string | null;
  discardedBytes: number | null;
  discardedCommits: number | null;
  writerTimeline: number | null;
  commandId: string | null;
}

/** How an operator brings it back later, in the words of the CLI. */
export const rejoinLater = (cluster: string, node: string): string => `pgfo rejoin --cluster ${cluster} --node ${node} brings it back`;

/** Kept aside, as the operator asked (`--no-rejoin`). */
export const leftAside = (cluster: string, node: string): OldPrimaryReport => ({
  node,
  outcome: 'left-aside',
  reason: `${node} is left aside as asked: read-only, naming no synchronous standby; ${rejoinLater(cluster, node)}`,
  method: null,
  commandId: null,
});

/**
 * The report once the rejoin ran. A refused or failed rejoin never fails the switchover (the writer
 * has moved already): the reason says why and what state the node is in. Read-only since the write
 * stop, the old primary should have nothing to discard; when the rejoin did discard WAL it wrote
 * after the fork, the reason says how much.
 */
export const afterRejoin = (cluster: string, node: string, rejoin: RejoinOutcome): OldPrimaryReport => {
  const ran = { node, method: rejoin.method, commandId: rejoin.commandId };
  const why = rejoin.reasons.at(-1) ?? `the rejoin ended ${rejoin.outcome}`;
  if (rejoin.outcome === 'refused') return { ...ran, outcome: 'rejoin-failed', reason: `the rejoin of ${node} was refused (${why}): it stays read-only; ${rejoinLater(cluster, node)}` };
  if (rejoin.outcome !== 'rejoined') return { ...ran, outcome: 'rejoin-failed', reason: `the rejoin of ${node} failed: ${why}` };
  const discarded = rejoin.discardedCommits
    ? `; ${rejoin.discardedCommits} transaction(s) (${rejoin.discardedBytes ?? '?'} bytes of WAL) it committed after the fork at ${rejoin.forkLsn ?? '?'} were discarded`
    : '';
  return { ...ran, outcome: 'rejoined', reason: `${node} streams from the new writer (${rejoin.method ?? 'rejoin'}, timeline ${rejoin.writerTimeline ?? '?'})${discarded}` };
};
