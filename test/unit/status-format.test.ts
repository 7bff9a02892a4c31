import { formatStatus } from '../../cli/format';
import type { ClusterStatus } from '../../shared/operators/status';

const cluster = (extra: Partial<ClusterStatus>): ClusterStatus => ({
  cluster: 'orders',
  writer: 'standby_dr',
  writers: ['standby_dr'],
  walSenders: 0,
  nodes: [],
  dns: { record: 'db.orders.internal', target: 'pg-dr.usw2.orders.internal', node: 'standby_dr', agrees: true },
  databaseUrl: [],
  consistent: true,
  record: { generation: 3, writer: 'standby_dr', timeline: 2, paused: null, lastIncident: null },
  paused: null,
  contradictions: [],
  ...extra,
});

describe('pgfo status, the arbiter and the synchronous standby', () => {
  it('names the stacks that arbitrate, the passive one and the stack that answered', () => {
    const text = formatStatus({
      version: '1.0.0',
      clusters: [
        cluster({
          arbiter: { arbiters: ['us-east-2'], passive: ['us-west-2'], writerRegion: 'us-west-2', answeredBy: 'us-west-2', reason: 'x' },
          synchronous: null,
        }),
      ],
    });
    expect(text).toContain("arbiter: us-east-2 (writer's region us-west-2; passive: us-west-2); answered by the stack in us-west-2");
    expect(text).toContain('synchronous standby (recorded): none recorded for this writer');
  });

  it('shows two arbiters without a passive stack, and the recorded synchronous standby', () => {
    const text = formatStatus({
      version: '1.0.0',
      clusters: [
        cluster({
          arbiter: { arbiters: ['us-west-2', 'us-east-2'], passive: [], writerRegion: 'us-east-1', answeredBy: 'us-east-2', reason: 'x' },
          synchronous: { node: 'standby_az2', since: '2026-12-06T10:00:00.000Z' },
        }),
      ],
    });
    expect(text).toContain("arbiter: us-west-2, us-east-2 (writer's region us-east-1); answered by the stack in us-east-2");
    expect(text).not.toContain('passive');
    expect(text).toContain('synchronous standby (recorded): standby_az2 since 2026-12-06T10:00:00.000Z');
  });

  it('leaves both lines out for a deployment whose status predates them', () => {
    const text = formatStatus({ version: '1.0.0', clusters: [cluster({})] });
    expect(text).not.toContain('arbiter:');
    expect(text).not.toContain('synchronous standby');
    expect(text).toContain('cluster orders: writer standby_dr');
  });
});
