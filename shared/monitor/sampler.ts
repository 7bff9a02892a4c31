import type { Client } from 'pg';
import type { ClusterConfig, Credential, TlsConfig } from '../config/schema';
import { closeQuietly, openConnection } from '../postgres/connect';
import { sslOptions, type ParameterReader } from '../postgres/tls';
import { readArchiver, readNodeState, readReplication, readSlots, readSubscription, readSyncState } from '../postgres/observe';
import type { ClusterObservation, NodeObservation, SubscriberObservation } from './snapshot';

export interface SamplerDeps {
  /** Resolves a credential's password (from SSM in production). */
  password: (credential: Credential) => Promise<string>;
  /** Reads a CA bundle parameter (tls.caParameter; from SSM in production). */
  readParameter?: ParameterReader;
}

interface Endpoint {
  name: string;
  host: string;
  port: number;
  database: string;
  tls?: TlsConfig | undefined;
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Samples one cluster, keeping one connection per node open across rounds. A node that fails is
 * reported unreachable with the reason and reconnected on the next round; it never stops the others.
 */
export class ClusterSampler {
  private readonly connections = new Map<string, Client>();
  private opened = 0;

  constructor(
    private readonly cluster: ClusterConfig,
    private readonly deps: SamplerDeps,
  ) {}

  private async connection(endpoint: Endpoint): Promise<Client> {
    const open = this.connections.get(endpoint.name);
    if (open) return open;
    const { monitor } = this.cluster.credentials;
    const client = await openConnection({
      host: endpoint.host,
      port: endpoint.port,
      database: endpoint.database,
      user: monitor.user,
      password: await this.deps.password(monitor),
      applicationName: 'pgfo-monitor',
      connectTimeoutMs: this.cluster.monitor.connectTimeoutMs,
      queryTimeoutMs: this.cluster.monitor.queryTimeoutMs,
      ssl: await sslOptions(endpoint.tls ?? this.cluster.tls, this.deps.readParameter),
    });
    this.opened += 1;
    this.connections.set(endpoint.name, client);
    return client;
  }

  private async withConnection<T>(endpoint: Endpoint, use: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.connection(endpoint);
    try {
      return await use(client);
    } catch (error) {
      this.connections.delete(endpoint.name);
      await closeQuietly(client);
      throw error;
    }
  }

  private async observeNode(endpoint: Endpoint): Promise<NodeObservation> {
    try {
      return await this.withConnection(endpoint, async (client) => {
        const state = await readNodeState(client);
        if (state.inRecovery || state.readOnly) return { node: endpoint.name, reachable: true, state };
        const replication = await readReplication(client);
        const slots = await readSlots(client);
        const archiver = await readArchiver(client);
        const sync = await readSyncState(client);
        return { node: endpoint.name, reachable: true, state, replication, slots, archiver, sync };
      });
    } catch (error) {
      return { node: endpoint.name, reachable: false, reason: reasonOf(error) };
    }
  }

  private async observeSubscriber(sub: ClusterConfig['subscribers'][number]): Promise<SubscriberObservation> {
    try {
      const subscription = await this.withConnection(sub, (client) => readSubscription(client, sub.subscription));
      return { name: sub.name, reachable: true, subscription };
    } catch (error) {
      return { name: sub.name, reachable: false, reason: reasonOf(error) };
    }
  }

  /** One round: every node and subscriber probed concurrently. */
  async sample(now: () => Date = () => new Date()): Promise<ClusterObservation> {
    const at = now();
    const database = this.cluster.database;
    const [nodes, subscribers] = await Promise.all([
      Promise.all(this.cluster.nodes.map((node) => this.observeNode({ ...node, database }))),
      Promise.all(this.cluster.subscribers.map((sub) => this.observeSubscriber(sub))),
    ]);
    return { cluster: this.cluster.name, at, nodes, subscribers };
  }

  /** Connections opened so far, reconnects included: each costs a TCP and SCRAM handshake. */
  get connectionsOpened(): number {
    return this.opened;
  }

  /** Number of connections currently open (for the invocation summary). */
  get openConnections(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    const clients = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(clients.map(closeQuietly));
  }
}
