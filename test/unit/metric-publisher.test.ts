import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { MetricPublisher } from '../../shared/aws/metric-publisher';
import { AwsTransientError } from '../../shared/errors';

const cloudWatch = mockClient(CloudWatchClient);
const data = (count: number): MetricDatum[] =>
  Array.from({ length: count }, (_, i) => ({ MetricName: 'FlushLagBytes', Value: i, StorageResolution: 1 }));

describe('metric publisher', () => {
  beforeEach(() => cloudWatch.reset());

  it('sends data added together in one call, at most 1,000 points per call', async () => {
    cloudWatch.on(PutMetricDataCommand).resolves({});
    const publisher = new MetricPublisher(new CloudWatchClient({ region: 'us-west-2' }), 'PgFailover', 50);
    publisher.add(data(700));
    publisher.add(data(700));
    publisher.add(data(1100));
    expect(await publisher.close()).toEqual([]);
    const calls = cloudWatch.commandCalls(PutMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.MetricData?.length)).toEqual([1000, 1000, 500]);
    expect(calls.every((c) => c.args[0].input.Namespace === 'PgFailover')).toBe(true);
    expect(publisher.stats).toEqual({ calls: 3, datums: 2500 });
  });

  it('returns a named error for a failed call and still sends the rest', async () => {
    cloudWatch
      .on(PutMetricDataCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({});
    const publisher = new MetricPublisher(new CloudWatchClient({ region: 'us-west-2' }), 'PgFailover', 10);
    publisher.add(data(1500));
    const errors = await publisher.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AwsTransientError);
    expect(errors[0]?.message).toContain('cloudwatch:PutMetricData (1000 data points) failed: ThrottlingException');
    expect(publisher.stats).toEqual({ calls: 2, datums: 500 });
  });
});
