import { arbiterNow } from '../../shared/actions/arbiter';
import { arbiterView, regionsWithoutArbiter } from '../../shared/decisions/arbiter';
import type { FailoverConfig } from '../../shared/config/schema';
import { aConfig, withControlRegions } from '../fixtures/config';
import { aRecord } from '../fixtures/topology';

const cluster = () => aConfig().clusters[0]!;
const recorded = (node: string) => ({ node, from: 'record' as const });

describe('which control-plane stacks arbitrate a cluster', () => {
  it('lets both stacks act while the writer is in neither control region, the lease picking one per incident', () => {
    const config = aConfig();
    const west = arbiterView(config, cluster(), recorded('primary'), 'us-west-2');
    const east = arbiterView(config, cluster(), recorded('primary'), 'us-east-2');
    expect(west).toMatchObject({ writer: 'primary', writerRegion: 'us-east-1', writerFrom: 'record', arbiters: ['us-west-2', 'us-east-2'], passive: [], acts: true });
    expect(east).toMatchObject({ arbiters: ['us-west-2', 'us-east-2'], passive: [], acts: true });
    expect(west.reason).toBe('orders: the stack in us-west-2 arbitrates (recorded writer primary is in us-east-1; so do us-east-2, the failover lease picks one per incident)');
  });

  it('keeps the stack in the recorded writer\'s region passive and lets the other act', () => {
    const config = aConfig();
    const west = arbiterView(config, cluster(), recorded('standby_dr'), 'us-west-2');
    const east = arbiterView(config, cluster(), recorded('standby_dr'), 'us-east-2');
    expect(west).toMatchObject({ writerRegion: 'us-west-2', arbiters: ['us-east-2'], passive: ['us-west-2'], stackRegion: 'us-west-2', acts: false });
    expect(west.reason).toBe('orders: the stack in us-west-2 is passive (recorded writer standby_dr is in us-west-2, the same region): us-east-2 arbitrates');
    expect(east).toMatchObject({ arbiters: ['us-east-2'], passive: ['us-west-2'], stackRegion: 'us-east-2', acts: true });
    expect(east.reason).toBe('orders: the stack in us-east-2 arbitrates (recorded writer standby_dr is in us-west-2)');
  });

  it('says where the writer was read from when no record exists yet', () => {
    expect(arbiterView(aConfig(), cluster(), { node: 'primary', from: 'configuration' }, 'us-east-2').reason).toContain('configured writer primary is in us-east-1');
  });

  it('always lets the one stack of a one-region control plane act, even in the writer\'s region (test accounts)', () => {
    for (const writer of ['primary', 'standby_az2', 'standby_dr']) {
      expect(arbiterView(withControlRegions('us-east-2'), cluster(), recorded(writer), 'us-east-2')).toMatchObject({ arbiters: ['us-east-2'], passive: [], acts: true });
    }
    expect(arbiterView(withControlRegions('us-west-2'), cluster(), recorded('standby_dr'), 'us-west-2')).toMatchObject({ arbiters: ['us-west-2'], passive: [], acts: true });
  });

  it('lets no stack outside the control regions act, and refuses a writer that is not a configured node', () => {
    const view = arbiterView(aConfig(), cluster(), recorded('primary'), 'eu-west-1');
    expect(view.acts).toBe(false);
    expect(view.reason).toBe('orders: eu-west-1 is not a control region (us-west-2, us-east-2): it does not act');
    expect(() => arbiterView(aConfig(), cluster(), recorded('ghost'), 'us-east-2')).toThrow('orders: the recorded writer ghost is not a configured node');
  });
});

describe('regions a writer can be in with no arbiter outside them', () => {
  it('finds none in the example, where two control regions leave one outside every node\'s region', () => {
    expect(regionsWithoutArbiter(aConfig())).toEqual([]);
    expect(regionsWithoutArbiter(withControlRegions('us-east-2'))).toEqual([]);
  });

  it('names each node region that is the only control region, with the nodes in it', () => {
    expect(regionsWithoutArbiter(withControlRegions('us-west-2'))).toEqual([{ region: 'us-west-2', nodes: ['orders/standby_dr'] }]);
    expect(regionsWithoutArbiter(withControlRegions('us-east-1'))).toEqual([{ region: 'us-east-1', nodes: ['orders/primary', 'orders/standby_az2'] }]);
  });
});

describe('the arbiter as a stack reads it now', () => {
  const context = (config: FailoverConfig) => ({ config, cluster: config.clusters[0]! });
  const records = (read: () => Promise<ReturnType<typeof aRecord> | null>) => ({ read: jest.fn(read) });

  it('reads the recorded writer: the stack in its region is passive, the other acts', async () => {
    const store = records(async () => aRecord({ writer: 'standby_dr' }));
    await expect(arbiterNow(context(aConfig()), store)).resolves.toMatchObject({ ok: true, view: { writer: 'standby_dr', writerFrom: 'record', acts: false } });
    await expect(arbiterNow(context({ ...aConfig(), controlRegion: 'us-east-2' }), store)).resolves.toMatchObject({ ok: true, view: { stackRegion: 'us-east-2', acts: true } });
    expect(store.read).toHaveBeenCalledWith('orders');
  });

  it('takes the configured primary as the writer of a cluster with no record yet', async () => {
    await expect(arbiterNow(context(aConfig()), records(async () => null))).resolves.toMatchObject({ ok: true, view: { writer: 'primary', writerFrom: 'configuration', acts: true } });
  });

  it('reports a record it cannot read as such, never as a verdict', async () => {
    const reading = await arbiterNow(context(aConfig()), records(() => Promise.reject(new Error('dynamodb:GetItem record orders: timed out'))));
    expect(reading).toEqual({ ok: false, reason: 'orders: the cluster record could not be read from us-west-2: dynamodb:GetItem record orders: timed out' });
  });

  it('reads nothing in a one-region control plane: its stack always acts', async () => {
    const store = records(() => Promise.reject(new Error('must not be read')));
    await expect(arbiterNow(context(withControlRegions('us-east-2')), store)).resolves.toMatchObject({ ok: true, view: { acts: true } });
    expect(store.read).not.toHaveBeenCalled();
  });
});
