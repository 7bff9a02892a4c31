import type { StandardUnit } from '@aws-sdk/client-cloudwatch';

/** Every metric the monitor publishes: the one list alarms, dashboards and docs are built from. */
export const METRICS = {
  PrimaryReachable: { unit: 'Count', dims: 'cluster', meaning: '1 when a writable node answered the probe, else 0' },
  WriterWalPosition: { unit: 'Bytes', dims: 'cluster', meaning: "the writer's current WAL position (pg_current_wal_lsn as bytes): the failover's last observed primary position" },
  WritableNodes: { unit: 'Count', dims: 'cluster', meaning: 'nodes answering as not in recovery (2+ is split brain)' },
  WalSenders: { unit: 'Count', dims: 'cluster', meaning: "streaming WAL senders on the writer (pg_stat_replication)" },
  HealthyStandbys: { unit: 'Count', dims: 'cluster', meaning: 'standbys whose WAL receiver is streaming' },
  SlotRetainedBytes: { unit: 'Bytes', dims: 'cluster', meaning: 'most WAL retained by any replication slot on the writer' },
  InactiveSlots: { unit: 'Count', dims: 'cluster', meaning: 'replication slots on the writer with no consumer' },
  ArchiverFailedCount: { unit: 'Count', dims: 'cluster', meaning: 'pg_stat_archiver.failed_count on the writer (cumulative)' },
  LastArchiveAgeSeconds: { unit: 'Seconds', dims: 'cluster', meaning: 'seconds since the writer last archived a WAL file' },
  SyncRepWaitSeconds: { unit: 'Seconds', dims: 'cluster', meaning: "age of the writer's oldest commit waiting on its synchronous standby (wait_event SyncRep), 0 when none waits: commits stalled by a lost synchronous standby" },
  FailoverPaused: { unit: 'Count', dims: 'cluster', meaning: "1 while automatic failover is paused (pgfo pause), else 0; left out when the cluster record could not be read" },
  NodeReachable: { unit: 'Count', dims: 'node', meaning: '1 when the node answered the probe, else 0' },
  WalReceiverUp: { unit: 'Count', dims: 'node', meaning: "1 when the standby's WAL receiver is streaming, else 0" },
  Streaming: { unit: 'Count', dims: 'node', meaning: '1 when the writer sees this standby streaming' },
  Synchronous: { unit: 'Count', dims: 'node', meaning: "1 when the writer lists this standby as sync (or quorum)" },
  FlushLagBytes: { unit: 'Bytes', dims: 'node', meaning: 'WAL bytes written on the writer and not yet flushed on the standby (data at risk)' },
  ReplayLagBytes: { unit: 'Bytes', dims: 'node', meaning: 'WAL bytes not yet replayed on the standby (recovery work at promotion)' },
  FlushLagSeconds: { unit: 'Seconds', dims: 'node', meaning: 'how old the newest WAL the standby has flushed is (RPO alarm)' },
  ReplayLagSeconds: { unit: 'Seconds', dims: 'node', meaning: 'how old the newest WAL the standby has replayed is' },
  SubscriptionLagBytes: { unit: 'Bytes', dims: 'node', meaning: 'logical subscriber: WAL bytes not yet received from the writer' },
  SubscriptionLagSeconds: { unit: 'Seconds', dims: 'node', meaning: 'logical subscriber: seconds since it last reported a position' },
  WriterLeaseCounter: {
    unit: 'Count',
    dims: 'lease',
    meaning: "the writer lease's renewal counter as the monitor read it (dimensions Cluster, Node, Generation; with deployment.writerLease, left out when unreadable, absent or revoked): where a failover's first check starts counting",
  },
} as const satisfies Record<string, { unit: StandardUnit; dims: 'cluster' | 'node' | 'lease'; meaning: string }>;

export type MetricName = keyof typeof METRICS;
