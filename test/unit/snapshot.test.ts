import { pausedDatums, toDatums } from '../../shared/monitor/datums';
import { METRICS } from '../../shared/monitor/metric-names';
import { summarise } from '../../shared/monitor/snapshot';
import { aReplicationRow, aStandby, aWriter, anObservation, anUnreachable } from '../fixtures/observations';

const MB = 1024 * 1024;

const valueOf = (datums: ReturnType<typeof toDatums>, name: string, node?: string) =>
  datums.find(
    (d) =>
      d.MetricName === name &&
      (node === undefined ? d.Dimensions?.length === 1 : d.Dimensions?.some((dim) => dim.Name === 'Node' && dim.Value === node)),
  )?.Value;

describe('summarising a sampling round', () => {
  it('takes lag from the writer view of each standby', () => {
    const observation = anObservation([
      aWriter('primary', [
        aReplicationRow('standby_az2', { syncState: 'sync' }),
        aReplicationRow('standby_dr', { flushLagBytes: 7 * MB, replayLagBytes: 9 * MB, flushLagSeconds: 3.8, replayLagSeconds: 4.1 }),
      ]),
      aStandby('standby_az2'),
      aStandby('standby_dr'),
    ]);
    const snapshot = summarise(observation);
    expect(snapshot.writer).toBe('primary');
    expect(snapshot.walSenders).toBe(2);
    expect(snapshot.standbys.find((s) => s.node === 'standby_dr')).toMatchObject({
      synchronous: false,
      flushLagBytes: 7 * MB,
      replayLagBytes: 9 * MB,
      flushLagSeconds: 3.8,
    });
    expect(snapshot.standbys.find((s) => s.node === 'standby_az2')?.synchronous).toBe(true);
  });

  it('keeps measuring a cut-off standby from the positions it actually received', () => {
    const observation = anObservation([
      aWriter('primary', [aReplicationRow('standby_az2')], { currentLsn: 150 * MB }),
      aStandby('standby_az2', { receiveLsn: 150 * MB, replayLsn: 150 * MB }),
      aStandby('standby_dr', { receiveLsn: 110 * MB, replayLsn: 108 * MB, receiverStatus: null, replayAgeSeconds: 42 }),
    ]);
    const dr = summarise(observation).standbys.find((s) => s.node === 'standby_dr');
    expect(dr).toMatchObject({ streaming: false, receiverUp: false, flushLagBytes: 40 * MB, replayLagBytes: 42 * MB });
    expect(dr?.flushLagSeconds).toBe(42);
  });

  it('reports zero seconds for an idle standby that has everything, whatever its last replay age', () => {
    const observation = anObservation([
      aWriter('primary', [aReplicationRow('standby_dr', { flushLagSeconds: null, replayLagSeconds: null })]),
      aStandby('standby_dr', { replayAgeSeconds: 3600 }),
    ]);
    expect(summarise(observation).standbys[0]).toMatchObject({ flushLagSeconds: 0, replayLagSeconds: 0 });
  });

  it('has no writer when the primary does not answer, and says why', () => {
    const snapshot = summarise(anObservation([anUnreachable('primary', 'timeout expired'), aStandby('standby_az2')]));
    expect(snapshot.writer).toBeNull();
    expect(snapshot.walSenders).toBeNull();
    expect(snapshot.unreachable).toEqual([{ node: 'primary', reason: 'timeout expired' }]);
  });

  it('names both writers when two nodes accept writes (split brain)', () => {
    const snapshot = summarise(anObservation([aWriter('primary', []), aWriter('standby_dr', []), aStandby('standby_az2')]));
    expect(snapshot.writer).toBeNull();
    expect(snapshot.writers).toEqual(['primary', 'standby_dr']);
    expect(snapshot.standbys.map((s) => s.node)).toEqual(['standby_az2']);
  });
});

describe('metric data of a round', () => {
  it('publishes high-resolution data with Cluster and Node dimensions and the documented units', () => {
    const observation = anObservation([
      aWriter('primary', [aReplicationRow('standby_az2', { syncState: 'sync' })]),
      aStandby('standby_az2'),
    ]);
    const datums = toDatums(observation, summarise(observation));
    for (const d of datums) {
      expect(d.StorageResolution).toBe(1);
      expect(d.Unit).toBe(METRICS[d.MetricName as keyof typeof METRICS].unit);
      expect(d.Dimensions?.[0]).toEqual({ Name: 'Cluster', Value: 'orders' });
    }
    expect(valueOf(datums, 'PrimaryReachable')).toBe(1);
    expect(valueOf(datums, 'WalSenders')).toBe(1);
    expect(valueOf(datums, 'Synchronous', 'standby_az2')).toBe(1);
    expect(valueOf(datums, 'WalReceiverUp', 'standby_az2')).toBe(1);
    expect(valueOf(datums, 'NodeReachable', 'primary')).toBe(1);
  });

  it('publishes "down" for an unreachable node and leaves unmeasurable lag out instead of writing zero', () => {
    const observation = anObservation([anUnreachable('primary'), aStandby('standby_dr', { receiverStatus: 'waiting' })]);
    const datums = toDatums(observation, summarise(observation));
    expect(valueOf(datums, 'PrimaryReachable')).toBe(0);
    expect(valueOf(datums, 'NodeReachable', 'primary')).toBe(0);
    expect(valueOf(datums, 'WalReceiverUp', 'standby_dr')).toBe(0);
    expect(valueOf(datums, 'FlushLagBytes', 'standby_dr')).toBeUndefined();
    expect(valueOf(datums, 'WalSenders')).toBeUndefined();
  });

  it('publishes whether failover is paused as 1 or 0, and nothing when the record could not be read', () => {
    const at = new Date('2026-12-02T00:00:00Z');
    expect(valueOf(pausedDatums('orders', true, at), 'FailoverPaused')).toBe(1);
    expect(valueOf(pausedDatums('orders', false, at), 'FailoverPaused')).toBe(0);
    expect(pausedDatums('orders', null, at)).toEqual([]);
  });
});
