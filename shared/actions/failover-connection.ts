import type { Client } from 'pg';
import { ssmClient } from '../aws/clients/ssm';
import { readSecureString } from '../aws/ssm';
import type { NodeConfig } from '../config/schema';
import { closeQuietly, openConnection } from '../postgres/connect';
import { sslOptions } from '../postgres/tls';
import type { ClusterContext } from '../config/cluster-context';

/**
 * Opens a connection as the failover login (pg_promote rights, pg_monitor), with the monitor's
 * timeouts unless others are given.
 */
export const failoverConnection = async (
  { config, cluster, readOnly }: ClusterContext,
  node: NodeConfig,
  timeouts: { connectTimeoutMs?: number; queryTimeoutMs?: number } = {},
): Promise<Client> => {
  const { failover } = cluster.credentials;
  const ssm = ssmClient(config.controlRegion);
  return openConnection({
    host: node.host,
    port: node.port,
    database: cluster.database,
    user: failover.user,
    password: await readSecureString(ssm, config.controlRegion, failover.passwordParameter),
    ssl: await sslOptions(node.tls ?? cluster.tls, (name) => readSecureString(ssm, config.controlRegion, name)),
    applicationName: 'pgfo-failover',
    connectTimeoutMs: timeouts.connectTimeoutMs ?? cluster.monitor.connectTimeoutMs,
    queryTimeoutMs: timeouts.queryTimeoutMs ?? cluster.monitor.queryTimeoutMs,
    ...(readOnly ? { readOnly: true } : {}),
  });
};

/** Opens a failover-login session, runs `use` with it and always ends it (the one open/use/close). */
export const withFailoverConnection = async <T>(
  context: ClusterContext,
  node: NodeConfig,
  use: (client: Client) => Promise<T>,
  timeouts: { connectTimeoutMs?: number; queryTimeoutMs?: number } = {},
): Promise<T> => {
  const client = await failoverConnection(context, node, timeouts);
  try {
    return await use(client);
  } finally {
    await closeQuietly(client);
  }
};

/** A reused session older than this is replaced (bounds how long an idle session is trusted). */
const SESSION_MAX_AGE_MS = 5 * 60 * 1000;
const sessions = new Map<string, { client: Client; openedAt: number }>();

const sessionKey = ({ cluster, readOnly }: ClusterContext, node: NodeConfig, timeouts: { connectTimeoutMs?: number; queryTimeoutMs?: number }) =>
  [cluster.name, node.host, node.port, cluster.credentials.failover.user, readOnly ? 'ro' : 'rw', timeouts.connectTimeoutMs ?? '', timeouts.queryTimeoutMs ?? ''].join('\u0000');

/**
 * Like withFailoverConnection, for read-only checks a step repeats (the outage check and its
 * re-check, the candidates' positions): the session stays open and the next check on the same node
 * reuses it. A reused session that fails in any way is dropped and the check runs again on a fresh
 * connection, whose result alone counts: a stale session never reads as "down". `use` must leave
 * the session as it found it (no open transaction, no SET).
 */
export const withReusedFailoverSession = async <T>(
  context: ClusterContext,
  node: NodeConfig,
  use: (client: Client) => Promise<T>,
  timeouts: { connectTimeoutMs?: number; queryTimeoutMs?: number } = {},
  now = Date.now,
): Promise<T> => {
  const key = sessionKey(context, node, timeouts);
  const kept = sessions.get(key);
  if (kept) {
    sessions.delete(key);
    if (now() - kept.openedAt < SESSION_MAX_AGE_MS) {
      try {
        const result = await use(kept.client);
        sessions.set(key, kept);
        return result;
      } catch {
        // Stale or broken: fall through to a fresh connection, whose outcome is the answer.
      }
    }
    await closeQuietly(kept.client);
  }
  const client = await failoverConnection(context, node, timeouts);
  const openedAt = now();
  try {
    const result = await use(client);
    const previous = sessions.get(key);
    sessions.set(key, { client, openedAt });
    if (previous) await closeQuietly(previous.client);
    return result;
  } catch (error) {
    await closeQuietly(client);
    throw error;
  }
};

/** Ends every kept session (tests and local stacks between runs; a Lambda simply freezes). */
export const closeFailoverSessions = async (): Promise<void> => {
  const kept = [...sessions.values()];
  sessions.clear();
  await Promise.all(kept.map((s) => closeQuietly(s.client)));
};

/** How many sessions are kept open (tests). */
export const keptFailoverSessions = (): number => sessions.size;
