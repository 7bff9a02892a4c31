import { performance } from 'node:perf_hooks';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Client } from 'pg';
import type { ClusterConfig, NodeConfig } from '../shared/config/schema';
import { buildDatabaseUrl } from '../shared/database-url';

export interface FloorClients {
  route53: Route53Client;
  ssm: (region: string) => SSMClient;
}

/** The floor's AWS clients, created on first use and reused across runs (as a warm script would). */
export const floorClients = (): FloorClients => {
  const ssm = new Map<string, SSMClient>();
  return {
    route53: new Route53Client({ region: 'us-east-1' }),
    ssm: (region) => ssm.get(region) ?? ssm.set(region, new SSMClient({ region })).get(region)!,
  };
};

export interface FloorTiming {
  /** performance.now() when the timed part began (the watcher connection is opened before). */
  startedAt: number;
  totalMs: number;
  parts: Array<{ name: string; ms: number }>;
  /**
   * How long pg_promote(true, …) kept waiting after the node had left recovery (it looks every
   * 100 ms), as seen by a second connection polling pg_is_in_recovery() every 5 ms.
   */
  promoteSlackMs: number;
}

/** Polls pg_is_in_recovery() on its own connection until it is false; resolves with that instant. */
const watchRecoveryEnd = (client: Client, stop: { done: boolean }): Promise<number | null> =>
  (async () => {
    while (!stop.done) {
      const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
      if (rows[0]?.r === false) return performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return null;
  })();

/**
 * The physical floor of moving the writer: nothing but what must happen. Connect to the candidate
 * and `SELECT pg_promote(true, 60)`, one Route 53 UPSERT followed by its GetChange sync wait, and one
 * SSM PutParameter of the new DATABASE_URL. No lease, no confirmation, no checks, no receipt.
 */
export const runFloor = async (
  cluster: ClusterConfig,
  candidate: NodeConfig,
  login: { user: string; password: string },
  app: { user: string; password: string },
  clients: FloorClients,
): Promise<FloorTiming> => {
  const connect = async () => {
    const c = new Client({ host: candidate.host, port: candidate.port, database: cluster.database, ...login, connectionTimeoutMillis: 3000 });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  const watcher = await connect();
  try {
    return await timedFloor(cluster, candidate, app, clients, connect, watcher);
  } finally {
    await watcher.end().catch(() => undefined);
  }
};

const timedFloor = async (
  cluster: ClusterConfig,
  candidate: NodeConfig,
  app: { user: string; password: string },
  clients: FloorClients,
  connect: () => Promise<Client>,
  watcher: Client,
): Promise<FloorTiming> => {
  const parts: FloorTiming['parts'] = [];
  const stopWatching = { done: false };
  const started = performance.now();
  let mark = started;
  const lap = (name: string) => {
    const now = performance.now();
    parts.push({ name, ms: now - mark });
    mark = now;
  };
  const client = await connect();
  let promoteSlackMs = 0;
  try {
    const leftRecovery = watchRecoveryEnd(watcher, stopWatching);
    const { rows } = await client.query<{ promoted: boolean }>('SELECT pg_promote(true, 60) AS promoted');
    const returned = performance.now();
    if (rows[0]?.promoted !== true) throw new Error(`floor: pg_promote on ${candidate.name} did not complete`);
    stopWatching.done = true;
    promoteSlackMs = Math.max(0, returned - ((await leftRecovery) ?? returned));
  } finally {
    stopWatching.done = true;
    await client.end();
  }
  lap('promote');
  const change = await clients.route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: cluster.route53.hostedZoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: cluster.route53.recordName, Type: 'CNAME', TTL: cluster.route53.ttl, ResourceRecords: [{ Value: candidate.dnsName }] },
          },
        ],
      },
    }),
  );
  for (;;) {
    const status = (await clients.route53.send(new GetChangeCommand({ Id: change.ChangeInfo?.Id }))).ChangeInfo?.Status;
    if (status === 'INSYNC') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  lap('dns');
  const parameter = cluster.databaseUrlParameters[0];
  if (!parameter) throw new Error(`floor: ${cluster.name} has no DATABASE_URL parameter`);
  const url = buildDatabaseUrl({ ...app, host: candidate.host, port: candidate.port, database: cluster.database });
  await clients.ssm(parameter.region).send(new PutParameterCommand({ Name: parameter.name, Value: url, Type: 'SecureString', Overwrite: true }));
  lap('databaseUrl');
  return { startedAt: started, totalMs: performance.now() - started, parts, promoteSlackMs };
};
