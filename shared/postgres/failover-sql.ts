import type { Client } from 'pg';
import type { StandbyFacts } from '../decisions/types';
import { sleep } from '../time';

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** Is this node accepting writes? (the database signal, and "already primary" before promoting) */
export const isInRecovery = async (client: Client): Promise<boolean> => {
  const { rows } = await client.query('SELECT pg_is_in_recovery() AS in_recovery');
  return rows[0]?.in_recovery === true;
};

/**
 * Seconds since this standby's WAL receiver last heard from its sender (WAL or keepalive), or null
 * when no receiver runs. `status = 'streaming'` is no liveness signal: it stays so until
 * `wal_receiver_timeout` after a sender vanished without a reset. An idle but healthy sender is
 * heard at least every `wal_receiver_timeout / 2` (the receiver asks for a keepalive then).
 */
export const receiverMessageAge = async (client: Client): Promise<number | null> => {
  const { rows } = await client.query(
    'SELECT extract(epoch FROM clock_timestamp() - last_msg_receipt_time)::float8 AS age FROM pg_stat_wal_receiver LIMIT 1',
  );
  return num(rows[0]?.age);
};

const STANDBY_SQL = `
SELECT pg_is_in_recovery() AS in_recovery,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0') AS receive_lsn,
       pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') AS replay_lsn,
       (SELECT pg_wal_lsn_diff(latest_end_lsn, '0/0') FROM pg_stat_wal_receiver LIMIT 1) AS sender_end_lsn,
       COALESCE((SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1), false) AS streaming,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') END AS current_lsn`;

/** A standby's own view of its positions and receiver (the candidate facts). */
export const readStandbyFacts = async (
  client: Client,
  node: Pick<StandbyFacts, 'node' | 'region' | 'role'>,
): Promise<StandbyFacts> => {
  const { rows } = await client.query(STANDBY_SQL);
  const row = rows[0] ?? {};
  const inRecovery = row.in_recovery === true;
  return {
    ...node,
    reachable: true,
    inRecovery,
    // A promoted node's "received" position is where it now writes.
    receiveLsn: inRecovery ? num(row.receive_lsn) : num(row.current_lsn),
    replayLsn: num(row.replay_lsn),
    senderEndLsn: num(row.sender_end_lsn),
    receiverStreaming: row.streaming === true,
  };
};

/**
 * Promotes with pg_promote, which needs only EXECUTE on the function (no superuser), and waits until
 * the node has left recovery. pg_promote(wait => true) looks only every 100 ms, so a promotion that
 * takes 10–40 ms is reported after about 100 ms: asking without waiting, then polling
 * pg_is_in_recovery() every `pollMs`, sees it when it happens.
 * Returns whether the node left recovery within `timeoutSeconds`.
 */
export const promote = async (client: Client, timeoutSeconds: number, pollMs = 10): Promise<boolean> => {
  const { rows } = await client.query('SELECT pg_promote(false) AS signalled');
  if (rows[0]?.signalled !== true) return false;
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (await isInRecovery(client)) {
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
  return true;
};

/** Proves the node takes writes: an UPSERT into the control plane's heartbeat table. */
export const writeHeartbeat = async (client: Client): Promise<void> => {
  await client.query(
    `INSERT INTO pgfo_heartbeat (id, at) VALUES (1, clock_timestamp())
     ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at`,
  );
};

