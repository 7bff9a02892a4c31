import type { Client } from 'pg';

/** What one node says about itself. LSNs are byte positions (pg_wal_lsn_diff against 0/0). */
export interface NodeState {
  inRecovery: boolean;
  /** default_transaction_read_only is on (a demoted primary after a planned switchover). */
  readOnly: boolean;
  /** Writer only: pg_current_wal_lsn(). */
  currentLsn: number | null;
  /** Standby only: last WAL position received and flushed by the WAL receiver. */
  receiveLsn: number | null;
  /** Standby only: last WAL position replayed. */
  replayLsn: number | null;
  /** Standby only: seconds since the last replayed transaction committed on the primary. */
  replayAgeSeconds: number | null;
  /** Standby only: pg_stat_wal_receiver.status ('streaming', 'waiting', ...) or null without a receiver. */
  receiverStatus: string | null;
}

/** One row of the writer's pg_stat_replication. */
export interface ReplicationRow {
  applicationName: string;
  state: string | null;
  syncState: string | null;
  flushLagBytes: number | null;
  replayLagBytes: number | null;
  flushLagSeconds: number | null;
  replayLagSeconds: number | null;
  /** Seconds since the standby's last reply (reply_time, on the writer's clock); null without one. */
  replyAgeSeconds: number | null;
}

/** The writer's synchronous replication: the setting and the commits waiting on it. */
export interface SyncState {
  /** synchronous_standby_names now. */
  names: string;
  /** Age of the oldest session waiting on SyncRep (a commit acknowledged by no standby yet), seconds; 0 when none waits. */
  oldestWaitSeconds: number;
}

export interface SlotRow {
  slotName: string;
  slotType: string;
  active: boolean;
  retainedBytes: number | null;
  /** Logical slots: WAL bytes not yet confirmed by the subscriber. */
  logicalLagBytes: number | null;
}

export interface ArchiverState {
  archiveMode: string;
  failedCount: number;
  lastArchiveAgeSeconds: number | null;
}

export interface SubscriptionState {
  /** Seconds since the subscription last reported a position to its publisher. */
  lagSeconds: number | null;
  receivedLsn: number | null;
  workerRunning: boolean;
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

const NODE_STATE_SQL = `
SELECT pg_is_in_recovery() AS in_recovery,
       current_setting('default_transaction_read_only')::boolean AS read_only,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') END AS current_lsn,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0') AS receive_lsn,
       pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') AS replay_lsn,
       extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) AS replay_age,
       (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status`;

export const readNodeState = async (client: Client): Promise<NodeState> => {
  const { rows } = await client.query(NODE_STATE_SQL);
  const row = rows[0] ?? {};
  return {
    inRecovery: row.in_recovery === true,
    readOnly: row.read_only === true,
    currentLsn: num(row.current_lsn),
    receiveLsn: num(row.receive_lsn),
    replayLsn: num(row.replay_lsn),
    replayAgeSeconds: num(row.replay_age),
    receiverStatus: row.receiver_status ?? null,
  };
};

// Lags are computed on the writer against its own current position: positions read on two
// different nodes are never read at the same instant.
const REPLICATION_SQL = `
SELECT application_name, state, sync_state,
       pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn) AS flush_lag_bytes,
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS replay_lag_bytes,
       extract(epoch FROM flush_lag) AS flush_lag_seconds,
       extract(epoch FROM replay_lag) AS replay_lag_seconds,
       extract(epoch FROM clock_timestamp() - reply_time) AS reply_age_seconds
  FROM pg_stat_replication`;

export const readReplication = async (client: Client): Promise<ReplicationRow[]> => {
  const { rows } = await client.query(REPLICATION_SQL);
  return rows.map((row) => ({
    applicationName: String(row.application_name ?? ''),
    state: row.state ?? null,
    syncState: row.sync_state ?? null,
    flushLagBytes: num(row.flush_lag_bytes),
    replayLagBytes: num(row.replay_lag_bytes),
    flushLagSeconds: num(row.flush_lag_seconds),
    replayLagSeconds: num(row.replay_lag_seconds),
    replyAgeSeconds: num(row.reply_age_seconds),
  }));
};

// A commit waiting for its synchronous standby shows wait_event SyncRep; state_change is when its
// COMMIT began (pg_monitor reads every session's row).
const SYNC_STATE_SQL = `
SELECT current_setting('synchronous_standby_names') AS names,
       coalesce(max(extract(epoch FROM clock_timestamp() - state_change)) FILTER (WHERE wait_event = 'SyncRep'), 0) AS oldest_wait
  FROM pg_stat_activity`;

export const readSyncState = async (client: Client): Promise<SyncState> => {
  const { rows } = await client.query(SYNC_STATE_SQL);
  const row = rows[0] ?? {};
  return { names: String(row.names ?? ''), oldestWaitSeconds: Math.max(0, num(row.oldest_wait) ?? 0) };
};

const SLOTS_SQL = `
SELECT slot_name, slot_type, active,
       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS retained_bytes,
       CASE WHEN slot_type = 'logical' THEN pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) END AS logical_lag
  FROM pg_replication_slots`;

export const readSlots = async (client: Client): Promise<SlotRow[]> => {
  const { rows } = await client.query(SLOTS_SQL);
  return rows.map((row) => ({
    slotName: String(row.slot_name),
    slotType: String(row.slot_type),
    active: row.active === true,
    retainedBytes: num(row.retained_bytes),
    logicalLagBytes: num(row.logical_lag),
  }));
};

const ARCHIVER_SQL = `
SELECT current_setting('archive_mode') AS archive_mode, failed_count,
       extract(epoch FROM clock_timestamp() - last_archived_time) AS last_archive_age
  FROM pg_stat_archiver`;

export const readArchiver = async (client: Client): Promise<ArchiverState> => {
  const { rows } = await client.query(ARCHIVER_SQL);
  const row = rows[0] ?? {};
  return {
    archiveMode: String(row.archive_mode ?? 'off'),
    failedCount: Number(row.failed_count ?? 0),
    lastArchiveAgeSeconds: num(row.last_archive_age),
  };
};

const SUBSCRIPTION_SQL = `
SELECT extract(epoch FROM clock_timestamp() - latest_end_time) AS lag_seconds,
       pg_wal_lsn_diff(received_lsn, '0/0') AS received_lsn,
       pid IS NOT NULL AS running
  FROM pg_stat_subscription
 WHERE subname = $1 AND relid IS NULL`;

export const readSubscription = async (client: Client, subscription: string): Promise<SubscriptionState> => {
  const { rows } = await client.query(SUBSCRIPTION_SQL, [subscription]);
  const row = rows[0];
  if (!row) return { lagSeconds: null, receivedLsn: null, workerRunning: false };
  return { lagSeconds: num(row.lag_seconds), receivedLsn: num(row.received_lsn), workerRunning: row.running === true };
};
