import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ClusterRecordStore } from '../shared/aws/cluster-record';
import type { ClusterConfig, FailoverConfig } from '../shared/config/schema';
import { AGENT_CLIENT_TIMEOUTS, agentStore } from '../shared/host/agent-store';
import { WriterAgent } from '../shared/host/writer-agent';
import { LOCAL_DEPLOYMENT, type LocalStack } from './local-stack';
import { StoreNetwork } from './store-network';
import type { Topology } from './topology';

export interface AgentLogLine {
  node: string;
  level: 'info' | 'warn';
  message: string;
  at: number;
}

/**
 * The writer-lease agent beside every node of a local cluster: the very agent the hosts run
 * (shared/host/writer-agent.ts, bundled as pgfo-agent), in-process, each with its DynamoDB client
 * through its region's path to the store (StoreNetwork), stopping and starting its node with the
 * topology. An agent whose node is not running (its instance powered off) does not renew, as the
 * agent on a host that is off cannot.
 */
export class LocalWriterAgents {
  readonly log: AgentLogLine[] = [];
  private readonly abort = new AbortController();
  private readonly runs: Promise<void>[] = [];
  private readonly clients: DynamoDBClient[] = [];
  readonly agents: Record<string, WriterAgent> = {};

  constructor(cluster: ClusterConfig, topology: Topology, network: StoreNetwork, table: string) {
    for (const node of cluster.nodes) {
      const client = new DynamoDBClient({ region: network.tableRegion, endpoint: network.endpoint(node.region), maxAttempts: 1, requestHandler: AGENT_CLIENT_TIMEOUTS });
      this.clients.push(client);
      const agent = new WriterAgent(
        agentStore(cluster.name, node.name, table, [client]),
        {
          running: async () => topology.isRunning(node.name),
          stop: () => topology.stop(node.name, 'fast'),
          start: () => topology.start(node.name),
        },
        {
          node: node.name,
          leaseSeconds: cluster.policy.writerLeaseSeconds,
          renewSeconds: cluster.policy.writerLeaseRenewSeconds,
          log: (level, message) => void this.log.push({ node: node.name, level, message, at: Date.now() }),
        },
      );
      this.agents[node.name] = agent;
    }
  }

  start(): void {
    for (const agent of Object.values(this.agents)) this.runs.push(agent.run(this.abort.signal));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.runs);
    for (const client of this.clients) client.destroy();
  }
}

/**
 * The writer-lease store of the local stack with agents: a global table with strong consistency in
 * the US region set, its replicas in the two control regions of the example, the witness in us-east-1.
 */
export const LOCAL_WRITER_LEASE = { replicaRegions: ['us-west-2', 'us-east-2'], witnessRegion: 'us-east-1' } as const;

/** Puts the local writer-lease store into a configuration template (before the stack is built). */
export const withLocalWriterLease = (config: FailoverConfig): void => {
  config.deployment.writerLease = { replicaRegions: [...LOCAL_WRITER_LEASE.replicaRegions], witnessRegion: LOCAL_WRITER_LEASE.witnessRegion };
};

export interface LocalLeaseStack {
  store: StoreNetwork;
  agents: Record<string, LocalWriterAgents>;
  /** The environment the control planes' functions need: their DynamoDB calls through the store's entry, each on its stack's region's path. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The store network in front of `target` (the stack's fault proxy), the cluster records seeded as
 * the control plane's first use would, and an agent beside every node of every cluster, started.
 */
export const startLocalLeaseStack = async (stack: LocalStack, target: string): Promise<LocalLeaseStack> => {
  const lease = stack.config.deployment.writerLease;
  if (!lease) throw new Error('local writer lease: the configuration has no deployment.writerLease (withLocalWriterLease)');
  const regions = stack.config.clusters.flatMap((c) => c.nodes.map((n) => n.region)).concat(stack.config.controlRegions);
  const store = await StoreNetwork.start(target, lease, regions);
  // Every control region's stack through the one entry: each call takes its own region's path (its SigV4 scope).
  const env = { AWS_ENDPOINT_URL_DYNAMODB: store.entry };
  const client = new DynamoDBClient({ region: stack.config.controlRegion, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB });
  const records = new ClusterRecordStore(client, LOCAL_DEPLOYMENT.leaseTable);
  for (const cluster of stack.config.clusters) await records.readOrSeed(cluster.name, cluster.nodes.find((n) => n.role === 'primary')!.name);
  client.destroy();
  const agents: Record<string, LocalWriterAgents> = {};
  for (const cluster of stack.config.clusters) {
    agents[cluster.name] = new LocalWriterAgents(cluster, stack.topologies[cluster.name]!, store, LOCAL_DEPLOYMENT.leaseTable);
    agents[cluster.name]!.start();
  }
  return {
    store,
    agents,
    env,
    stop: async () => {
      await Promise.all(Object.values(agents).map((a) => a.stop()));
      await store.close();
    },
  };
};
