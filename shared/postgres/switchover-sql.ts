import type { Client } from 'pg';

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * Stops (or restarts) writes on a primary: default_transaction_read_only for every new
 * transaction, applied by a reload. ALTER SYSTEM cannot run inside a transaction block, and needs
 * only `GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only` (PostgreSQL 15+).
 */
export const setReadOnly = async (client: Client, readOnly: boolean): Promise<void> => {
  await client.query(readOnly ? 'ALTER SYSTEM SET default_transaction_read_only = on' : 'ALTER SYSTEM RESET default_transaction_read_only');
  await client.query('SELECT pg_reload_conf()');
};

/** Is the reload visible to new sessions yet? */
export const readOnlySetting = async (client: Client): Promise<boolean> => {
  const { rows } = await client.query("SELECT setting = 'on' AS on FROM pg_settings WHERE name = 'default_transaction_read_only'");
  return rows[0]?.on === true;
};

/**
 * Ends every other client session — superusers' too when this login is a superuser (PostgreSQL lets
 * only a superuser signal a superuser's backend) — so that no session that could turn
 * default_transaction_read_only off again survives the write stop. Open transactions roll back;
 * what they committed stays. Returns how many were ended and how many superuser sessions remain
 * (non-zero only when this login could not end them: the caller must not promise zero loss then).
 */
export const endClientSessions = async (client: Client): Promise<{ ended: number; superuserSessionsLeft: number }> => {
  const { rows } = await client.query(`
    WITH me AS (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
    SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid)) AS ended
      FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
     WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND (NOT r.rolsuper OR (SELECT rolsuper FROM me))`);
  const left = await client.query(`
    SELECT count(*) AS left FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
     WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND r.rolsuper`);
  return { ended: Number(rows[0]?.ended ?? 0), superuserSessionsLeft: Number(left.rows[0]?.left ?? 0) };
};

/** The writer's current position and how far the target has received and replayed, in bytes. */
export const writerPosition = async (client: Client): Promise<number> => {
  const { rows } = await client.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS lsn`);
  return Number(rows[0]?.lsn ?? 0);
};

export const replayPosition = async (client: Client): Promise<number | null> => {
  const { rows } = await client.query(`SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') AS lsn`);
  return num(rows[0]?.lsn);
};

/** The writer's view of one standby: streaming state and replay lag in bytes. */
export const standbyOnWriter = async (client: Client, applicationName: string) => {
  const { rows } = await client.query(
    `SELECT state, sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS replay_lag
       FROM pg_stat_replication WHERE application_name = $1`,
    [applicationName],
  );
  const row = rows[0];
  return row ? { state: String(row.state), syncState: String(row.sync_state), replayLagBytes: num(row.replay_lag) } : null;
};
