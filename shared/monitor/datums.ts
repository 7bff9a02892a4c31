import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { WriterLease } from '../decisions/writer-lease';
import { METRICS, type MetricName } from './metric-names';
import type { ClusterObservation, ClusterSnapshot } from './snapshot';

/** High resolution: stored per second so that alarms can use 10-second periods. */
const STORAGE_RESOLUTION = 1;

const datum = (name: MetricName, value: number, at: Date, cluster: string, node?: string, generation?: number): MetricDatum => ({
  MetricName: name,
  Unit: METRICS[name].unit,
  Value: value,
  Timestamp: at,
  StorageResolution: STORAGE_RESOLUTION,
  Dimensions: [
    { Name: 'Cluster', Value: cluster },
    ...(node === undefined ? [] : [{ Name: 'Node', Value: node }]),
    ...(generation === undefined ? [] : [{ Name: 'Generation', Value: String(generation) }]),
  ],
});

const flag = (value: boolean): number => (value ? 1 : 0);

/**
 * Whether automatic failover is paused, as the cluster record says: 1 or 0, nothing when the record
 * could not be read (unknown is missing data, never "not paused"). Pure.
 */
export const pausedDatums = (cluster: string, paused: boolean | null, at: Date): MetricDatum[] =>
  paused === null ? [] : [datum('FailoverPaused', flag(paused), at, cluster)];

/**
 * The writer lease's counter as read at `at` (when the read answered: the counter had that value
 * by then), under its node and generation. Nothing when no live lease was read: no guess. Pure.
 */
export const writerLeaseDatums = (cluster: string, lease: WriterLease | null, at: Date): MetricDatum[] => {
  if (!lease || lease.revokedBy || !Number.isFinite(lease.counter)) return [];
  return [datum('WriterLeaseCounter', lease.counter, at, cluster, lease.node, lease.generation)];
};

/**
 * The metric data of one sampling round. A value that could not be measured is left out rather
 * than published as zero, so that alarms see it as missing data. Pure.
 */
export const toDatums = (observation: ClusterObservation, snapshot: ClusterSnapshot): MetricDatum[] => {
  const { cluster, at } = snapshot;
  const out: MetricDatum[] = [];
  const add = (name: MetricName, value: number | null, node?: string) => {
    if (value !== null && Number.isFinite(value)) out.push(datum(name, value, at, cluster, node));
  };
  add('PrimaryReachable', flag(snapshot.writers.length > 0));
  add('WritableNodes', snapshot.writers.length);
  add('WriterWalPosition', snapshot.writerLsn);
  add('WalSenders', snapshot.walSenders);
  add('HealthyStandbys', snapshot.standbys.filter((s) => s.receiverUp).length);
  add('SlotRetainedBytes', snapshot.slotRetainedBytes);
  add('InactiveSlots', snapshot.inactiveSlots);
  add('SyncRepWaitSeconds', snapshot.syncRepWaitSeconds);
  if (snapshot.archiver && snapshot.archiver.archiveMode !== 'off') {
    add('ArchiverFailedCount', snapshot.archiver.failedCount);
    add('LastArchiveAgeSeconds', snapshot.archiver.lastArchiveAgeSeconds);
  }
  for (const node of observation.nodes) add('NodeReachable', flag(node.reachable), node.node);
  for (const standby of snapshot.standbys) {
    add('WalReceiverUp', flag(standby.receiverUp), standby.node);
    add('Streaming', flag(standby.streaming), standby.node);
    add('Synchronous', flag(standby.synchronous), standby.node);
    add('FlushLagBytes', standby.flushLagBytes, standby.node);
    add('ReplayLagBytes', standby.replayLagBytes, standby.node);
    add('FlushLagSeconds', standby.flushLagSeconds, standby.node);
    add('ReplayLagSeconds', standby.replayLagSeconds, standby.node);
  }
  for (const sub of snapshot.subscribers) {
    add('NodeReachable', flag(sub.reachable), sub.name);
    add('SubscriptionLagBytes', sub.lagBytes, sub.name);
    add('SubscriptionLagSeconds', sub.lagSeconds, sub.name);
  }
  return out;
};
