import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { rewriteDatabaseUrl } from '../../functions/failover/rewrite-database-url';
import { EXAMPLE_CONFIG_FILE } from '../../shared/config/load';
import { LeaseLostError, RecordConflictError } from '../../shared/errors';
import { setLogSink } from '../../shared/log';
import { readWhileHolding } from '../../shared/workflow/lease-guard';
import type { FailoverState } from '../../shared/workflow/state';
import { aPromotion } from '../fixtures/decisions';

// The DATABASE_URL step reads every region's value while it asserts the lease; these tests pin down
// that the overlap never lets a write through without the lease.
const dynamo = mockClient(DynamoDBClient);
const ssm = mockClient(SSMClient);
const previousEnv = { ...process.env };
let restoreSink: (line: string) => void;
beforeAll(() => {
  process.env.PGFO_CONFIG_FILE = EXAMPLE_CONFIG_FILE;
  restoreSink = setLogSink(() => undefined);
});
afterAll(() => {
  setLogSink(restoreSink);
  process.env = previousEnv;
  dynamo.restore();
  ssm.restore();
});
beforeEach(() => {
  dynamo.reset();
  ssm.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'postgres://app:app-password@pg-primary.use1.orders.internal:5432/orders' } });
  ssm.on(PutParameterCommand).resolves({ Version: 2 });
});

const state = (): FailoverState => ({
  ...(JSON.parse(readFileSync('events/failover-state.json', 'utf8')) as FailoverState),
  promotion: aPromotion('standby_dr'),
});

describe('rewriteDatabaseUrl: the lease check overlaps the reads, never the writes', () => {
  it('writes no region when the lease turns out lost, and fails with LeaseLostError', async () => {
    let readsWhileChecking = 0;
    dynamo.on(UpdateItemCommand).callsFake(async () => {
      // The reads were sent before the check answered: they run at the same time.
      await new Promise((resolve) => setTimeout(resolve, 20));
      readsWhileChecking = ssm.commandCalls(GetParameterCommand).length;
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    });

    await expect(rewriteDatabaseUrl(state())).rejects.toBeInstanceOf(LeaseLostError);

    expect(readsWhileChecking).toBe(2);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('writes no region before the lease check has answered', async () => {
    let putsBeforeAnswer = -1;
    dynamo.on(UpdateItemCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      putsBeforeAnswer = ssm.commandCalls(PutParameterCommand).length;
      return {};
    });

    const result = await rewriteDatabaseUrl(state());

    expect(putsBeforeAnswer).toBe(0);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(2);
    expect(result.parameters.map((p) => [p.region, p.changed])).toEqual([
      ['us-east-1', true],
      ['us-west-2', true],
    ]);
  });
});

describe('readWhileHolding: reads beside the lease assertion', () => {
  const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
  const failLater = (ms: number, error: Error) => new Promise<never>((_, reject) => setTimeout(() => reject(error), ms));

  it('returns the reads in order, and only once the lease has answered', async () => {
    let leaseAnswered = false;
    const holding = later(30, undefined).then(() => {
      leaseAnswered = true;
    });
    const result = await readWhileHolding(holding, later(1, 'record'), later(2, 42));
    expect(leaseAnswered).toBe(true);
    expect(result).toEqual(['record', 42]);
  });

  it('reports a lost lease before a failed read, whichever answered first', async () => {
    const lost = new LeaseLostError('promoteCandidate: execution e no longer holds the lease of orders');
    await expect(readWhileHolding(failLater(20, lost), failLater(1, new RecordConflictError('changed')))).rejects.toBe(lost);
  });

  it('reports the failed read when the lease is held', async () => {
    const conflict = new RecordConflictError('orders: the cluster record changed since the decision');
    await expect(readWhileHolding(later(5, undefined), failLater(1, conflict), later(1, 'nodes'))).rejects.toBe(conflict);
  });
});
