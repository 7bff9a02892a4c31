import type { Client } from 'pg';
import { conninfoTarget } from './conninfo';

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
/** A timeline as the first 8 hex digits of a WAL file name (parsed here: a cast in SQL can write WAL, see below). */
const hexTimeline = (value: unknown): number | null => (typeof value === 'string' && /^[0-9A-F]{8}$/.test(value) ? Number.parseInt(value, 16) : null);

/** What a node says about its role, timeline and upstream, before upstreams are mapped to nodes. */
export interface RawTopology {
  inRecovery: boolean;
  readOnly: boolean;
  /** Writer: the timeline of its current WAL. Standby: the receiver's timeline, else the newest WAL segment's. */
  timeline: number | null;
  receiverStatus: string | null;
  /** The receiver's sender, else primary_conninfo's target (the upstream it is set to follow). */
  upstreamHost: string | null;
  upstreamPort: number | null;
  upstreamFromReceiver: boolean;
  receiveLsn: number | null;
  replayLsn: number | null;
  currentLsn: number | null;
  /** Writer: application_name of every standby streaming from it. */
  replicas: string[];
}

// pg_walfile_name() refuses to run during recovery; a standby's newest timeline is the receiver's, or,
// with no receiver (its upstream died), that of the newest WAL segment it holds (pg_ls_waldir needs
// pg_monitor; asked of standbys only, in a query of its own: on a writer, merely planning its first
// call can write WAL — a hint-bit page image with wal_log_hints — and a read must not). primary_conninfo needs pg_read_all_settings (in pg_monitor); only host and port are kept.
export const TOPOLOGY_SQL = `
SELECT pg_is_in_recovery() AS in_recovery,
       current_setting('default_transaction_read_only')::boolean AS read_only,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS writer_tli,
       r.status, r.received_tli, r.sender_host, r.sender_port,
       current_setting('primary_conninfo') AS conninfo,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0') AS receive_lsn,
       pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') AS replay_lsn,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') END AS current_lsn,
       ARRAY(SELECT application_name FROM pg_stat_replication WHERE state = 'streaming') AS replicas
  FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver r ON true`;

/** A standby's newest timeline of WAL it holds (see above). */
export const WAL_TIMELINE_SQL = `
SELECT max(substr(name, 1, 8)) AS wal_tli FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'`;

export const readTopology = async (client: Client): Promise<RawTopology> => {
  const { rows } = await client.query<Record<string, unknown>>(TOPOLOGY_SQL);
  const row = rows[0] ?? {};
  if (row.in_recovery !== true) return topologyOf(row);
  const wal = await client.query<Record<string, unknown>>(WAL_TIMELINE_SQL);
  return topologyOf({ ...row, ...(wal.rows[0] ?? {}) });
};

/** One row of TOPOLOGY_SQL as facts (primary_conninfo reduced to its host and port). */
export const topologyOf = (row: Record<string, unknown>): RawTopology => {
  const inRecovery = row.in_recovery === true;
  const fromReceiver = row.sender_host !== null && row.sender_host !== undefined;
  const configured = inRecovery ? conninfoTarget(typeof row.conninfo === 'string' ? row.conninfo : '') : { host: null, port: null };
  return {
    inRecovery,
    readOnly: row.read_only === true,
    timeline: inRecovery ? (num(row.received_tli) ?? hexTimeline(row.wal_tli)) : hexTimeline(row.writer_tli),
    receiverStatus: (row.status as string | null | undefined) ?? null,
    upstreamHost: fromReceiver ? String(row.sender_host) : configured.host,
    upstreamPort: fromReceiver ? num(row.sender_port) : configured.port,
    upstreamFromReceiver: fromReceiver,
    receiveLsn: num(row.receive_lsn),
    replayLsn: num(row.replay_lsn),
    currentLsn: num(row.current_lsn),
    replicas: (row.replicas as string[] | null) ?? [],
  };
};
