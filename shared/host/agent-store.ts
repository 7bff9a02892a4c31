import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ClusterRecordStore } from '../aws/cluster-record';
import { WriterLeaseStore } from '../aws/writer-lease';
import type { AgentStore } from './writer-agent';

/**
 * Timeouts of the agent's store calls: a renewal that hangs must fail within a turn, not hold the
 * agent. `throwOnRequestTimeout`: without it the SDK's handler only warns when `requestTimeout` passes.
 */
export const AGENT_CLIENT_TIMEOUTS = { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true } as const;

/** One DynamoDB client per store region, with the agent's timeouts and no SDK retries (the next turn retries). */
export const agentClients = (regions: string[]): DynamoDBClient[] =>
  regions.map((region) => new DynamoDBClient({ region, maxAttempts: 1, requestHandler: AGENT_CLIENT_TIMEOUTS }));

/**
 * The agent's store over the replicas of the lease table, tried in order (on a global table with
 * multi-Region strong consistency every replica gives the same answer, and answers only while it
 * reaches a majority): the first that answers is used; when none does, the call fails.
 */
export const agentStore = (cluster: string, node: string, table: string, clients: DynamoDBClient[]): AgentStore => {
  if (clients.length === 0) throw new Error('agent store: no store region configured');
  const firstAnswer = async <T>(call: (client: DynamoDBClient) => Promise<T>): Promise<T> => {
    const failures: string[] = [];
    for (const client of clients) {
      try {
        return await call(client);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    throw new Error(`no store region answered: ${failures.join('; ')}`);
  };
  return {
    read: () =>
      firstAnswer(async (client) => {
        const [record, lease] = await Promise.all([new ClusterRecordStore(client, table).read(cluster), new WriterLeaseStore(client, table).read(cluster)]);
        return { record: record ? { writer: record.writer, generation: record.generation } : null, lease };
      }),
    take: (generation) => firstAnswer((client) => new WriterLeaseStore(client, table).take(cluster, node, generation)),
    renew: (generation) => firstAnswer((client) => new WriterLeaseStore(client, table).renew(cluster, node, generation)),
  };
};
