import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { WriterLeaseStore } from '../../shared/aws/writer-lease';

const dynamo = mockClient(DynamoDBClient);
const store = () => new WriterLeaseStore(new DynamoDBClient({ region: 'us-west-2' }), 'pgfo-prod-leases');
const conflict = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

describe('writer lease store: every write conditional, reads strongly consistent', () => {
  beforeEach(() => dynamo.reset());

  it('renews only while the lease names this node at this generation, unrevoked, and returns the new counter', async () => {
    dynamo.on(UpdateItemCommand).resolvesOnce({ Attributes: { counter: { N: '42' } } }).rejectsOnce(conflict());
    expect(await store().renew('orders', 'db1', 3)).toBe(42);
    expect(await store().renew('orders', 'db1', 3)).toBeNull();
    const input = dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('node = :n AND generation = :g AND attribute_not_exists(revokedBy)');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':n': { S: 'db1' }, ':g': { N: '3' } });
  });

  it('names the failed call when the store does not answer (a renewal that failed, not one refused)', async () => {
    dynamo.on(UpdateItemCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    await expect(store().renew('orders', 'db1', 3)).rejects.toThrow(/dynamodb:UpdateItem writer lease orders/);
  });

  it('takes a lease only when none exists or another node holds it at an earlier generation', async () => {
    dynamo.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conflict());
    expect(await store().take('orders', 'db3', 5)).toBe(true);
    expect(await store().take('orders', 'db3', 5)).toBe(false);
    expect(dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.ConditionExpression).toBe('attribute_not_exists(pk) OR (node <> :n AND generation < :g)');
  });

  it('revokes only at the very counter the control plane watched', async () => {
    dynamo.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(conflict());
    expect(await store().revoke('orders', 'db1', 7, 'exec-1')).toBe(true);
    expect(await store().revoke('orders', 'db1', 7, 'exec-1')).toBe(false);
    expect(dynamo.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({ ':c': { N: '7' }, ':by': { S: 'exec-1' } });
  });

  it('reads with ConsistentRead, null when no agent ever took it', async () => {
    dynamo
      .on(GetItemCommand)
      .resolvesOnce({ Item: { node: { S: 'db1' }, generation: { N: '3' }, counter: { N: '9' }, revokedBy: { S: 'exec-1' } } })
      .resolvesOnce({});
    expect(await store().read('orders')).toEqual({ node: 'db1', generation: 3, counter: 9, revokedBy: 'exec-1' });
    expect(await store().read('orders')).toBeNull();
    expect(dynamo.commandCalls(GetItemCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });
});
