import { manageSynchronous, NotStreamingClock } from '../../shared/actions/manage-synchronous';
import type { ClusterRecordStore } from '../../shared/aws/cluster-record';
import type { LeaseStore } from '../../shared/aws/lease';
import type { ClusterRecord } from '../../shared/decisions/cluster-record';
import { aConfig } from '../fixtures/config';
import { anObservation, aReplicationRow, aStandby, aWriter } from '../fixtures/observations';
import { aRecord } from '../fixtures/topology';

/**
 * Everything the act does before it opens a session on the writer: when it takes the lease, and
 * when it stands back. (The session itself, ALTER SYSTEM and its confirmation run against real
 * PostgreSQL in test/integration/sync-replication.test.ts.)
 */
describe('the synchronous standby act stands back', () => {
  const config = aConfig();
  const context = { config, cluster: config.clusters[0]! };
  const records = (record: ClusterRecord, later: ClusterRecord = record) => {
    const read = jest.fn(async () => record);
    const readOrSeed = jest.fn(async () => later);
    const update = jest.fn(async (next: ClusterRecord) => next);
    return { store: { read, readOrSeed, update } as unknown as Pick<ClusterRecordStore, 'read' | 'readOrSeed' | 'update'>, update, readOrSeed };
  };
  const leases = (acquired: boolean) => {
    const acquire = jest.fn(async () => (acquired ? { acquired: true as const, lease: {} as never, reentered: false } : { acquired: false as const, reason: 'orders: failover exec-1 holds the lease' }));
    const release = jest.fn(async () => true);
    return { store: { acquire, release, extend: jest.fn(async () => true) } as unknown as LeaseStore, acquire, release };
  };
  /** The primary with standby_az2 named and gone: commits have waited 11 s, its last reply 12 s old. */
  const lostStandby = () => {
    const writer = aWriter('primary', [aReplicationRow('standby_az2', { syncState: 'sync', replyAgeSeconds: 12 }), aReplicationRow('standby_dr')]);
    if (writer.reachable) writer.sync = { names: 'FIRST 1 ("standby_az2")', oldestWaitSeconds: 11 };
    return anObservation([writer, aStandby('standby_az2'), aStandby('standby_dr')]);
  };
  const synchronous = { writer: 'primary', node: 'standby_az2', names: 'FIRST 1 ("standby_az2")', since: '2026-11-26T11:00:00.000Z' };

  it('while a failover or switchover holds the lease: decided, deferred, nothing written', async () => {
    const record = records(aRecord({ synchronous }));
    const lease = leases(false);
    const outcome = await manageSynchronous(context, lostStandby(), { leases: lease.store, records: record.store, clock: new NotStreamingClock() });
    expect(outcome).toMatchObject({ verdict: { change: true, node: null }, receipt: null, deferred: 'orders: failover exec-1 holds the lease' });
    expect(record.update).not.toHaveBeenCalled();
  });

  it('when the record moved since the decision (a newer writer recorded): deferred, the lease released, nothing written', async () => {
    const record = records(aRecord({ synchronous, generation: 7 }), aRecord({ synchronous, generation: 8, writer: 'standby_az2' }));
    const lease = leases(true);
    const outcome = await manageSynchronous(context, lostStandby(), { leases: lease.store, records: record.store, clock: new NotStreamingClock() });
    expect(outcome.deferred).toBe('the cluster record moved from generation 7 to 8 meanwhile: the next sample decides again');
    expect(record.update).not.toHaveBeenCalled();
    expect(lease.release).toHaveBeenCalledTimes(1);
  });

  it('acts only on the writer the record names', async () => {
    const lease = leases(true);
    const outcome = await manageSynchronous(context, lostStandby(), { leases: lease.store, records: records(aRecord({ writer: 'standby_az2' })).store, clock: new NotStreamingClock() });
    expect(outcome.deferred).toBe('the cluster record names standby_az2 as the writer, not primary: not touched');
    expect(lease.acquire).not.toHaveBeenCalled();
  });

  it('takes no lease when the setting and the record already agree, nor with synchronousMode off', async () => {
    const healthy = lostStandby();
    const writer = healthy.nodes[0]!;
    if (writer.reachable) writer.sync = { names: 'FIRST 1 ("standby_az2")', oldestWaitSeconds: 0 };
    if (writer.reachable) writer.replication = [aReplicationRow('standby_az2', { syncState: 'sync' }), aReplicationRow('standby_dr')];
    const lease = leases(true);
    expect(await manageSynchronous(context, healthy, { leases: lease.store, records: records(aRecord({ synchronous })).store, clock: new NotStreamingClock() })).toMatchObject({
      verdict: { change: false, node: 'standby_az2' },
      deferred: null,
    });
    const off = structuredClone(config);
    off.clusters[0]!.policy.synchronousMode = 'off';
    expect(await manageSynchronous({ config: off, cluster: off.clusters[0]! }, lostStandby(), { leases: lease.store, records: records(aRecord()).store, clock: new NotStreamingClock() })).toMatchObject({ verdict: null });
    expect(lease.acquire).not.toHaveBeenCalled();
  });
});
