import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LeaseStore } from '../../shared/aws/lease';
import { resetEmulator } from '../../local/emulator';
import { createLeaseTable } from '../../local/seed';
import { aConfig } from '../fixtures/config';

describe('failover lease (DynamoDB conditional writes through the emulator)', () => {
  const client = new DynamoDBClient({ region: 'us-west-2' });
  let store: LeaseStore;

  beforeEach(async () => {
    await resetEmulator(process.env.AWS_ENDPOINT_URL!);
    store = new LeaseStore(client, await createLeaseTable(aConfig(), 'lease-test'));
  });

  it('lets exactly one of twenty concurrent holders take the lease', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.acquire('orders', `exec-${i}`, 'failover', 600)));
    const winners = outcomes.filter((o) => o.acquired);
    expect(winners).toHaveLength(1);
    const losers = outcomes.filter((o) => !o.acquired);
    expect(losers.every((o) => !o.acquired && o.heldBy === (winners[0] as { lease: { holder: string } }).lease.holder)).toBe(true);
  });

  it('extends the lease only for the execution that holds it (the guard before fence, promote and repoint)', async () => {
    const t0 = Date.now();
    expect((await store.acquire('orders', 'exec-a', 'failover', 60, t0)).acquired).toBe(true);
    expect(await store.extend('orders', 'exec-a', 600, t0 + 30_000)).toBe(true);
    expect((await store.read('orders')).expiresAt).toBe(t0 + 30_000 + 600_000);
    expect(await store.extend('orders', 'exec-b', 600, t0)).toBe(false);
    // Expired and taken by another holder: the first one can no longer extend it.
    expect((await store.acquire('orders', 'exec-b', 'failover', 60, t0 + 700_000)).acquired).toBe(true);
    expect(await store.extend('orders', 'exec-a', 600, t0 + 700_001)).toBe(false);
    expect((await store.read('orders')).holder).toBe('exec-b');
  });

  it('one execution name in two stacks (alarms of the same instant): only the stack that took it takes it again, extends or releases it', async () => {
    const table = await createLeaseTable(aConfig(), 'lease-test-stacks');
    const west = new LeaseStore(client, table, 'us-west-2');
    const east = new LeaseStore(client, table, 'us-east-2');
    const name = 'orders-alarm-20261206103253427';
    const [w, e] = await Promise.all([west.acquire('orders', name, 'failover', 600), east.acquire('orders', name, 'failover', 600)]);

    expect([w.acquired, e.acquired].sort()).toEqual([false, true]);
    const [holder, other] = w.acquired ? [west, east] : [east, west];
    const lost = (w.acquired ? e : w) as { reason: string };
    expect(lost.reason).toMatch(new RegExp(`${name} \\(the stack in us-(west|east)-2\\) holds the lease`));
    expect(await other.extend('orders', name, 600)).toBe(false);
    expect(await other.release('orders', name, 0)).toBe(false);
    expect(await holder.extend('orders', name, 600)).toBe(true);
    expect((await holder.read('orders')).stack).toBe(w.acquired ? 'us-west-2' : 'us-east-2');
    expect(await holder.release('orders', name, 0)).toBe(true);
  });

  it('lets the same holder take it again (a retried step) and nobody else', async () => {
    expect((await store.acquire('orders', 'exec-a', 'failover', 600)).acquired).toBe(true);
    expect((await store.acquire('orders', 'exec-a', 'failover', 600)).acquired).toBe(true);
    expect(await store.acquire('orders', 'exec-b', 'switchover', 600)).toMatchObject({
      acquired: false,
      reason: 'orders: failover exec-a holds the lease',
    });
  });

  it('starts a cooldown after a completed failover and frees the cluster at once after anything else', async () => {
    await store.acquire('orders', 'exec-a', 'failover', 600);
    expect(await store.release('orders', 'exec-a', 0)).toBe(true);
    expect((await store.acquire('orders', 'exec-b', 'failover', 600)).acquired).toBe(true);
    expect(await store.release('orders', 'exec-b', 900)).toBe(true);
    expect(await store.acquire('orders', 'exec-c', 'failover', 600)).toMatchObject({ acquired: false, reason: expect.stringContaining('cooling down') });
    expect(await store.release('orders', 'exec-c', 0)).toBe(false);
    // An operator's switchover or manual failover is not held back by the anti-flap window.
    expect((await store.acquire('orders', 'switchover-1', 'switchover', 600, Date.now(), { ignoreCooldown: true })).acquired).toBe(true);
    expect(await store.acquire('orders', 'exec-d', 'failover', 600, Date.now(), { ignoreCooldown: true })).toMatchObject({
      acquired: false,
      reason: 'orders: switchover switchover-1 holds the lease',
    });
  });

  it('takes over a lease whose holder died (expired)', async () => {
    await store.acquire('orders', 'exec-dead', 'failover', 60, Date.now() - 120000);
    expect((await store.acquire('orders', 'exec-new', 'failover', 600)).acquired).toBe(true);
  });
});
