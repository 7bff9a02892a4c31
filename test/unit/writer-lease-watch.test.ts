import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { MetricPublisher } from '../../shared/aws/metric-publisher';
import type { WriterLease } from '../../shared/decisions/writer-lease';
import { writerLeaseWatch } from '../../shared/monitor/writer-lease-watch';

const aLease = (over: Partial<WriterLease> = {}): WriterLease => ({ node: 'db1', generation: 3, counter: 42, revokedBy: null, ...over });
const answeredAt = new Date(Date.UTC(2026, 11, 6, 8, 0, 5, 300));

/** A publisher that keeps what it is given. */
const aPublisher = () => {
  const added: MetricDatum[] = [];
  return { added, publisher: { add: (datums: MetricDatum[]) => added.push(...datums) } as unknown as MetricPublisher };
};

describe('writerLeaseWatch: the monitor publishes the counter it read, never a guess', () => {
  it('publishes a live lease as WriterLeaseCounter under its node and generation, timestamped when the read answered', async () => {
    const { added, publisher } = aPublisher();
    const watch = writerLeaseWatch(publisher, async () => aLease(), () => answeredAt);
    watch.read('orders');
    await watch.settled();
    expect(added).toEqual([
      expect.objectContaining({
        MetricName: 'WriterLeaseCounter',
        Value: 42,
        Timestamp: answeredAt,
        StorageResolution: 1,
        Dimensions: [
          { Name: 'Cluster', Value: 'orders' },
          { Name: 'Node', Value: 'db1' },
          { Name: 'Generation', Value: '3' },
        ],
      }),
    ]);
  });

  it('publishes nothing for a revoked lease, no lease, or a store that did not answer', async () => {
    const { added, publisher } = aPublisher();
    const answers: Array<() => Promise<WriterLease | null>> = [async () => aLease({ revokedBy: 'exec-1' }), async () => null, () => Promise.reject(new Error('timeout'))];
    for (const answer of answers) {
      const watch = writerLeaseWatch(publisher, answer);
      watch.read('orders');
      await watch.settled();
    }
    expect(added).toEqual([]);
  });

  it('keeps one read per cluster in flight: a store that hangs is not asked again meanwhile', async () => {
    const { publisher } = aPublisher();
    let release: (lease: WriterLease) => void = () => undefined;
    const read = jest.fn(() => new Promise<WriterLease>((resolve) => (release = resolve)));
    const watch = writerLeaseWatch(publisher, read);
    watch.read('orders');
    watch.read('orders');
    expect(read).toHaveBeenCalledTimes(1);
    release(aLease());
    await watch.settled();
    watch.read('orders');
    expect(read).toHaveBeenCalledTimes(2);
    release(aLease());
    await watch.settled();
  });
});
