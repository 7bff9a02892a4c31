import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { seedRecord, type ClusterRecord } from '../decisions/cluster-record';
import { RecordConflictError } from '../errors';
import { classifyAwsError } from './errors';

/** Sort key of the cluster record, next to the lease ("lease") and the receipts ("receipt#…"). */
export const RECORD_SORT_KEY = 'state';

const S = (value: string) => ({ S: value });
const N = (value: number) => ({ N: String(value) });
const conflict = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

/**
 * The per-cluster record in the lease table (pk = cluster, sk = "state"): the whole record as JSON
 * plus its `generation` as a number, so that every write can be conditional on the generation read.
 */
export class ClusterRecordStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** The record, or null when the cluster has none yet. Strongly consistent. */
  async read(cluster: string): Promise<ClusterRecord | null> {
    try {
      const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S(cluster), sk: S(RECORD_SORT_KEY) }, ConsistentRead: true }));
      const json = out.Item?.record?.S;
      return json ? (JSON.parse(json) as ClusterRecord) : null;
    } catch (error) {
      throw classifyAwsError(error, `dynamodb:GetItem record ${cluster}`);
    }
  }

  /**
   * The record, seeded from the configured writer when the cluster has none (first use). Two
   * callers seeding at once both end up with the one record that won.
   */
  async readOrSeed(cluster: string, configuredWriter: string, now = new Date()): Promise<ClusterRecord> {
    const existing = await this.read(cluster);
    if (existing) return existing;
    const seed = seedRecord(cluster, configuredWriter, now.toISOString());
    try {
      await this.put(seed, 'attribute_not_exists(pk)');
      return seed;
    } catch (error) {
      if (!(error instanceof RecordConflictError)) throw error;
      const winner = await this.read(cluster);
      if (!winner) throw error;
      return winner;
    }
  }

  /**
   * Writes `next` (generation `expected + 1`) only if the stored generation is still `expected`.
   * @throws RecordConflictError when another writer got there first (nothing is overwritten).
   */
  async update(next: ClusterRecord, expected: number): Promise<ClusterRecord> {
    if (next.generation !== expected + 1) throw new RecordConflictError(`${next.cluster}: generation ${next.generation} does not follow ${expected}`);
    await this.put(next, 'generation = :expected', { ':expected': N(expected) }, expected);
    return next;
  }

  private async put(record: ClusterRecord, condition: string, values?: Record<string, { N: string }>, expected?: number): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: S(record.cluster), sk: S(RECORD_SORT_KEY), generation: N(record.generation), record: S(JSON.stringify(record)) },
          ConditionExpression: condition,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    } catch (error) {
      if (conflict(error)) {
        throw new RecordConflictError(
          expected === undefined
            ? `${record.cluster}: the cluster record already exists`
            : `${record.cluster}: the cluster record is no longer at generation ${expected} (someone else changed it): nothing written`,
          { cause: error },
        );
      }
      throw classifyAwsError(error, `dynamodb:PutItem record ${record.cluster}`);
    }
  }
}
