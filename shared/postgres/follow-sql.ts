import type { Client } from 'pg';

/**
 * Re-pointing a standby and setting the writer's synchronous standbys, as the non-superuser failover
 * login: PostgreSQL 15 lets it change exactly these parameters with
 * `GRANT ALTER SYSTEM ON PARAMETER primary_conninfo, primary_slot_name, synchronous_standby_names`,
 * and reload with `GRANT EXECUTE ON FUNCTION pg_reload_conf()`. primary_conninfo reloads without a
 * restart (the WAL receiver reconnects), and recovery_target_timeline defaults to 'latest', so the
 * standby follows the new writer's timeline. ALTER SYSTEM takes no bind parameters: values are
 * quoted with the client's escapeLiteral. It cannot run inside a transaction block.
 */

/** primary_conninfo as the standby has it (readable through pg_read_all_settings, in pg_monitor). Holds the password: never log it. */
export const readPrimaryConninfo = async (client: Client): Promise<string> => {
  const { rows } = await client.query(`SELECT current_setting('primary_conninfo') AS v`);
  return String(rows[0]?.v ?? '');
};

export const readPrimarySlotName = async (client: Client): Promise<string> => {
  const { rows } = await client.query(`SELECT current_setting('primary_slot_name') AS slot`);
  return String(rows[0]?.slot ?? '');
};

const ALTER_SYSTEM_SQL = {
  primary_conninfo: 'ALTER SYSTEM SET primary_conninfo = ',
  primary_slot_name: 'ALTER SYSTEM SET primary_slot_name = ',
  synchronous_standby_names: 'ALTER SYSTEM SET synchronous_standby_names = ',
} as const;

const alterSystem = async (client: Client, parameter: keyof typeof ALTER_SYSTEM_SQL, value: string) => {
  await client.query(ALTER_SYSTEM_SQL[parameter] + client.escapeLiteral(value));
};

export const reloadConfiguration = async (client: Client): Promise<void> => {
  await client.query('SELECT pg_reload_conf()');
};

export const setPrimaryConninfo = (client: Client, conninfo: string) => alterSystem(client, 'primary_conninfo', conninfo);
export const setPrimarySlotName = (client: Client, slot: string) => alterSystem(client, 'primary_slot_name', slot);
export const setSynchronousStandbyNames = (client: Client, names: string) => alterSystem(client, 'synchronous_standby_names', names);

export const readSynchronousStandbyNames = async (client: Client): Promise<string> => {
  const { rows } = await client.query(`SELECT current_setting('synchronous_standby_names') AS v`);
  return String(rows[0]?.v ?? '');
};

export const slotExists = async (client: Client, slot: string): Promise<boolean> => {
  const { rows } = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return rows.length > 0;
};

/**
 * Creates a physical slot reserving WAL from now on. Needs the REPLICATION attribute.
 * @returns false when the login may not (insufficient_privilege), true when created.
 */
export const createPhysicalSlot = async (client: Client, slot: string): Promise<boolean> => {
  try {
    await client.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return false;
    if ((error as { code?: string }).code === '42710') return true; // created meanwhile
    throw error;
  }
};

/** The standby's WAL receiver now: status, sender and timeline. */
export const receiverState = async (client: Client) => {
  const { rows } = await client.query(
    `SELECT r.status, r.sender_host, r.sender_port, r.received_tli, pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0') AS receive_lsn
       FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver r ON true`,
  );
  const row = rows[0] ?? {};
  return {
    status: (row.status as string | null) ?? null,
    senderHost: (row.sender_host as string | null) ?? null,
    senderPort: row.sender_port === null || row.sender_port === undefined ? null : Number(row.sender_port),
    timeline: row.received_tli === null || row.received_tli === undefined ? null : Number(row.received_tli),
    receiveLsn: row.receive_lsn === null || row.receive_lsn === undefined ? null : Number(row.receive_lsn),
  };
};

/** Standbys streaming from this writer, by application_name. */
export const streamingReplicas = async (client: Client): Promise<string[]> => {
  const { rows } = await client.query(`SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'`);
  return rows.map((r) => String(r.application_name));
};

/** The writer's WAL position now, in bytes. */
export const currentWalPosition = async (client: Client): Promise<number> => {
  const { rows } = await client.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS lsn`);
  return Number(rows[0]?.lsn);
};

/**
 * Whether the writer lists `standby` as its synchronous standby (sync_state 'sync') having flushed
 * at least `position`: then it holds every commit the writer had acknowledged by then.
 */
export const synchronousAndFlushed = async (client: Client, standby: string, position: number): Promise<boolean> => {
  const { rows } = await client.query(
    `SELECT 1 FROM pg_stat_replication
      WHERE application_name = $1 AND sync_state = 'sync' AND pg_wal_lsn_diff(flush_lsn, '0/0') >= $2`,
    [standby, position],
  );
  return rows.length > 0;
};
