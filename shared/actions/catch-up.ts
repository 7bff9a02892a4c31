import type { ClusterContext } from '../config/cluster-context';
import type { NodeConfig } from '../config/schema';
import { formatBytes } from '../units';
import { roleOf, type NodeTopology } from '../decisions/topology';
import { conninfoTarget, retargetConninfo } from '../postgres/conninfo';
import { readPrimaryConninfo, readPrimarySlotName, reloadConfiguration, setPrimaryConninfo, setPrimarySlotName } from '../postgres/follow-sql';
import { sleep } from '../time';
import { withFailoverConnection, withReusedFailoverSession } from './failover-connection';
import { observeNodes, replicationAddress } from './topology';

export interface CatchUp {
  /** The standby the candidate fetched the WAL it lacked from, or null when none was ahead. */
  from: string | null;
  bytes: number;
  caughtUp: boolean;
  ms: number;
  detail: string;
}

const POLL_MS = 100;
/** Longest wait for the candidate to fetch what a more advanced standby has. */
const MAX_WAIT_MS = 15_000;

/** Each poll asks over the kept session (a failed one is replaced by a fresh connection). */
const receivedBy = async (context: ClusterContext, node: NodeConfig): Promise<number | null> =>
  withReusedFailoverSession(context, node, async (client) => {
    const { rows } = await client.query<{ lsn: string | null }>(`SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0') AS lsn`);
    const lsn = rows[0]?.lsn;
    return lsn === null || lsn === undefined ? null : Number(lsn);
  });

/**
 * Before a standby is promoted: another standby of the same timeline may have received WAL the
 * candidate has not (an asynchronous replica can be ahead of the synchronous one by the writes that
 * were in flight when the writer died). Promoting the candidate as it is would fork its new timeline
 * off before that standby's position, and that standby could never follow it. So the candidate
 * first streams the missing WAL from the most advanced standby (cascading replication: its
 * primary_conninfo re-pointed there and reloaded), bounded in time; then it is promoted. A candidate
 * that could not catch up is promoted anyway and the receipt says what the other standby holds.
 */
export const catchUpFromFollowers = async (
  context: ClusterContext,
  candidate: NodeConfig,
  excluded: Set<string>,
  /** The nodes as this step observed them just before (else observed here). */
  observed?: NodeTopology[],
): Promise<CatchUp> => {
  const started = Date.now();
  const nodes = observed ?? (await observeNodes(context, { reuseSessions: true }));
  const self = nodes.find((n) => n.node === candidate.name);
  const none = (detail: string): CatchUp => ({ from: null, bytes: 0, caughtUp: true, ms: Date.now() - started, detail });
  if (!self || roleOf(self) !== 'standby' || self.receiveLsn === null) return none(`${candidate.name}: nothing to catch up (not a standby now)`);
  const ahead = nodes
    .filter((n): n is NodeTopology & { receiveLsn: number } => n.node !== candidate.name && !excluded.has(n.node) && roleOf(n) === 'standby' && n.receiveLsn !== null)
    .filter((n) => n.receiveLsn > self.receiveLsn! && (n.timeline === null || self.timeline === null || n.timeline === self.timeline))
    .sort((a, b) => b.receiveLsn - a.receiveLsn)[0];
  if (!ahead) return none(`${candidate.name} has every WAL byte the other standbys received`);
  const source = context.cluster.nodes.find((n) => n.name === ahead.node)!;
  const bytes = ahead.receiveLsn - self.receiveLsn;
  await withFailoverConnection(context, candidate, async (client) => {
    const current = await readPrimaryConninfo(client);
    const target = replicationAddress(source, candidate);
    const now = conninfoTarget(current);
    if (now.host !== target.host || now.port !== target.port) await setPrimaryConninfo(client, retargetConninfo(current, target.host, target.port));
    // Its slot lives on the failed writer; a standby upstream has none for it.
    if (await readPrimarySlotName(client)) await setPrimarySlotName(client, '');
    await reloadConfiguration(client);
  });
  const deadline = started + Math.min(MAX_WAIT_MS, context.cluster.policy.followTimeoutSeconds * 1000);
  for (;;) {
    const [mine, theirs] = await Promise.all([receivedBy(context, candidate), receivedBy(context, source).catch(() => ahead.receiveLsn)]);
    if (mine !== null && theirs !== null && mine >= theirs) {
      return { from: source.name, bytes, caughtUp: true, ms: Date.now() - started, detail: `${candidate.name} fetched ${formatBytes(bytes)} of WAL it lacked from ${source.name} before promotion` };
    }
    if (Date.now() >= deadline) {
      const behind = theirs !== null && mine !== null ? theirs - mine : bytes;
      return {
        from: source.name,
        bytes,
        caughtUp: false,
        ms: Date.now() - started,
        detail: `${candidate.name} could not fetch the ${formatBytes(behind)} of WAL ${source.name} holds within ${Math.round((deadline - started) / 1000)} s: promoted without it (${source.name} will not be able to follow)`,
      };
    }
    await sleep(POLL_MS);
  }
};
