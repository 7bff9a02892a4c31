import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ClusterConfig } from '../shared/config/schema';
import { AGENT_CLIENT_TIMEOUTS, agentStore } from '../shared/host/agent-store';
import { WriterAgent } from '../shared/host/writer-agent';
import type { StoreNetwork } from './store-network';
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
