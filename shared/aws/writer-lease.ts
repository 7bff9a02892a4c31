import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { WriterLease } from '../decisions/writer-lease';
import { classifyAwsError } from './errors';

/** Sort key of the writer lease, next to the cluster record ("state") and the failover lease ("lease"). */
export const WRITER_LEASE_SORT_KEY = 'writer-lease';

const S = (value: string) => ({ S: value });
const N = (value: number) => ({ N: String(value) });
const conflict = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

/**
 * The writer lease (pk = cluster, sk = "writer-lease"): "node N is the writer, granted at record
 * generation G", and a counter its host's agent increments at every renewal. Nobody compares
 * timestamps of two hosts: the control plane sees a lease lapse by reading the same counter for a
 * full `writerLeaseSeconds` on its own clock. Every write is conditional, strongly consistent reads
 * only (on a global table with multi-Region strong consistency, a write or read needs a majority of
 * its three regions: a region cut off from the other two can neither renew nor read).
 */
export class WriterLeaseStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** The lease, or null when no agent ever took it (no agent installed). */
  async read(cluster: string): Promise<WriterLease | null> {
    try {
      const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S(cluster), sk: S(WRITER_LEASE_SORT_KEY) }, ConsistentRead: true }));
      const item = out.Item;
      if (!item?.node?.S || !item.generation?.N) return null;
      return {
        node: item.node.S,
        generation: Number(item.generation.N),
        counter: Number(item.counter?.N ?? '0'),
        revokedBy: item.revokedBy?.S ?? null,
      };
    } catch (error) {
      throw classifyAwsError(error, `dynamodb:GetItem writer lease ${cluster}`);
    }
  }

  /**
   * Takes the lease for `node` at record generation `generation` (the agent does, once the record
   * names its node: see `mayTakeWriterLease`): only when no lease exists, or the lease names another
   * node at an earlier generation. A node never takes back its own revoked lease. Returns false when
   * refused (nothing written).
   */
  async take(cluster: string, node: string, generation: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: S(cluster), sk: S(WRITER_LEASE_SORT_KEY), node: S(node), generation: N(generation), counter: N(1) },
          ConditionExpression: 'attribute_not_exists(pk) OR (node <> :n AND generation < :g)',
          ExpressionAttributeValues: { ':g': N(generation), ':n': S(node) },
        }),
      );
      return true;
    } catch (error) {
      if (conflict(error)) return false;
      throw classifyAwsError(error, `dynamodb:PutItem writer lease ${cluster}`);
    }
  }

  /**
   * Renews the lease: increments its counter, only while it still names `node` at `generation` and
   * was not revoked. Returns the new counter, or null when the lease is no longer this node's.
   * @throws AwsTransientError/AwsPermanentError when the store did not answer (the renewal failed).
   */
  async renew(cluster: string, node: string, generation: number): Promise<number | null> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(cluster), sk: S(WRITER_LEASE_SORT_KEY) },
          UpdateExpression: 'ADD #counter :one',
          ConditionExpression: 'node = :n AND generation = :g AND attribute_not_exists(revokedBy)',
          ExpressionAttributeNames: { '#counter': 'counter' },
          ExpressionAttributeValues: { ':n': S(node), ':g': N(generation), ':one': N(1) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.counter?.N ?? '0');
    } catch (error) {
      if (conflict(error)) return null;
      throw classifyAwsError(error, `dynamodb:UpdateItem writer lease ${cluster}`);
    }
  }

  /**
   * Revokes the lease the control plane saw lapse: only if it still names `node` with the very
   * `counter` it watched for a full lease (a renewal in between refuses it: the writer is back).
   * After this the agent cannot renew, so its PostgreSQL stays stopped until the record names it
   * again at a later generation. Returns false when refused.
   */
  async revoke(cluster: string, node: string, counter: number, by: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(cluster), sk: S(WRITER_LEASE_SORT_KEY) },
          UpdateExpression: 'SET revokedBy = :by',
          ConditionExpression: 'node = :n AND #counter = :c',
          ExpressionAttributeNames: { '#counter': 'counter' },
          ExpressionAttributeValues: { ':n': S(node), ':c': N(counter), ':by': S(by) },
        }),
      );
      return true;
    } catch (error) {
      if (conflict(error)) return false;
      throw classifyAwsError(error, `dynamodb:UpdateItem revoke writer lease ${cluster}`);
    }
  }
}
