import { Client } from 'pg';
import { DatabaseUnreachableError } from '../errors';
import type { SslOptions } from './tls';

export interface ConnectionTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Shows in pg_stat_activity; names the function that connected. */
  applicationName: string;
  connectTimeoutMs: number;
  /** Applied as client query_timeout and server statement_timeout. */
  queryTimeoutMs: number;
  /** Start the session with default_transaction_read_only (the server then refuses any write). */
  readOnly?: boolean;
  /** TLS options from `sslOptions` (shared/postgres/tls.ts). @default false (plain text) */
  ssl?: SslOptions;
}

/**
 * Opens one connection with every timeout explicit (node-postgres has none by default).
 * The returned client has an error listener, so a dropped socket never crashes the process.
 * @throws DatabaseUnreachableError naming host and port, never the password.
 */
export const openConnection = async (target: ConnectionTarget): Promise<Client> => {
  const client = new Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password,
    application_name: target.applicationName,
    connectionTimeoutMillis: target.connectTimeoutMs,
    query_timeout: target.queryTimeoutMs,
    statement_timeout: target.queryTimeoutMs,
    lock_timeout: target.queryTimeoutMs,
    keepAlive: true,
    ssl: target.ssl ?? false,
    ...(target.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  client.on('error', () => {
    /* a broken connection surfaces on the next query; nothing to do here */
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new DatabaseUnreachableError(
      `cannot connect to ${target.host}:${target.port} as ${target.user}: ${(error as Error).message}`,
      { cause: error },
    );
  }
};

/** Ends a connection, ignoring errors (the socket may already be gone). */
export const closeQuietly = async (client: Client | undefined): Promise<void> => {
  if (client) await client.end().catch(() => undefined);
};
