import type { ArchiverState, NodeState, ReplicationRow, SlotRow, SubscriptionState, SyncState } from '../postgres/observe';

export type NodeObservation =
  | { node: string; reachable: false; reason: string }
  | {
      node: string;
      reachable: true;
      state: NodeState;
      /** Present for a node found writable. */
      replication?: ReplicationRow[];
      slots?: SlotRow[];
      archiver?: ArchiverState;
      /** Present for a node found writable. */
      sync?: SyncState;
    };

export type SubscriberObservation =
  | { name: string; reachable: false; reason: string }
  | { name: string; reachable: true; subscription: SubscriptionState };

/** One sampling round of one cluster: raw facts, no judgement. */
export interface ClusterObservation {
  cluster: string;
  at: Date;
  nodes: NodeObservation[];
  subscribers: SubscriberObservation[];
}

export interface StandbyView {
  node: string;
  reachable: boolean;
  receiverUp: boolean;
  streaming: boolean;
  synchronous: boolean;
  flushLagBytes: number | null;
  replayLagBytes: number | null;
  flushLagSeconds: number | null;
  replayLagSeconds: number | null;
}

/** What a sampling round means: who writes, how far behind each standby is. */
export interface ClusterSnapshot {
  cluster: string;
  at: Date;
  /** The single writable node, or null when none (or more than one) answered as writable. */
  writer: string | null;
  writers: string[];
  /** The writer's current WAL position in bytes. */
  writerLsn: number | null;
  walSenders: number | null;
  standbys: StandbyView[];
  unreachable: Array<{ node: string; reason: string }>;
  slotRetainedBytes: number | null;
  inactiveSlots: number | null;
  archiver: ArchiverState | null;
  /** Age of the writer's oldest commit waiting on SyncRep, seconds (0: none); null without a writer. */
  syncRepWaitSeconds: number | null;
  subscribers: Array<{ name: string; lagBytes: number | null; lagSeconds: number | null; reachable: boolean }>;
}

const positive = (value: number): number => Math.max(0, value);

/**
 * Lag in seconds: the writer's measurement when it has one; zero when nothing is outstanding;
 * otherwise the age of the standby's last replayed transaction — conservative (it over-states lag
 * after a long idle period) but it keeps growing while a standby is cut off, where the writer's view
 * goes NULL or freezes.
 */
const lagSeconds = (measured: number | null, bytes: number | null, standbyAge: number | null): number | null => {
  if (measured !== null && measured !== undefined) return measured;
  if (bytes !== null && bytes <= 0) return 0;
  return standbyAge === null ? null : positive(standbyAge);
};

const standbyView = (
  observation: NodeObservation,
  writerLsn: number | null,
  rows: ReplicationRow[],
): StandbyView => {
  if (!observation.reachable) {
    const row = rows.find((r) => r.applicationName === observation.node);
    return {
      node: observation.node,
      reachable: false,
      receiverUp: false,
      streaming: row?.state === 'streaming',
      synchronous: row?.syncState === 'sync' || row?.syncState === 'quorum',
      flushLagBytes: row?.flushLagBytes ?? null,
      replayLagBytes: row?.replayLagBytes ?? null,
      flushLagSeconds: row?.flushLagSeconds ?? null,
      replayLagSeconds: row?.replayLagSeconds ?? null,
    };
  }
  const { state } = observation;
  const row = rows.find((r) => r.applicationName === observation.node);
  const fromWriter = (lsn: number | null) => (writerLsn === null || lsn === null ? null : positive(writerLsn - lsn));
  const flushBytes = row?.flushLagBytes ?? fromWriter(state.receiveLsn);
  const replayBytes = row?.replayLagBytes ?? fromWriter(state.replayLsn);
  return {
    node: observation.node,
    reachable: true,
    receiverUp: state.receiverStatus === 'streaming',
    streaming: row?.state === 'streaming',
    synchronous: row?.syncState === 'sync' || row?.syncState === 'quorum',
    flushLagBytes: flushBytes === null ? null : positive(flushBytes),
    replayLagBytes: replayBytes === null ? null : positive(replayBytes),
    flushLagSeconds: lagSeconds(row?.flushLagSeconds ?? null, flushBytes, state.replayAgeSeconds),
    replayLagSeconds: lagSeconds(row?.replayLagSeconds ?? null, replayBytes, state.replayAgeSeconds),
  };
};

/** Turns one round's raw observations into the cluster's state. Pure. */
export const summarise = (observation: ClusterObservation): ClusterSnapshot => {
  const writable = observation.nodes.filter(
    (n): n is Extract<NodeObservation, { reachable: true }> => n.reachable && !n.state.inRecovery && !n.state.readOnly,
  );
  const writerObs = writable.length === 1 ? writable[0] : undefined;
  const rows = writerObs?.replication ?? [];
  const writerLsn = writerObs?.state.currentLsn ?? null;
  const physicalSlots = writerObs?.slots?.filter((s) => s.slotType === 'physical') ?? [];
  return {
    cluster: observation.cluster,
    at: observation.at,
    writer: writerObs?.node ?? null,
    writers: writable.map((n) => n.node),
    writerLsn,
    walSenders: writerObs ? rows.filter((r) => r.state === 'streaming').length : null,
    standbys: observation.nodes
      .filter((n) => !(writable as NodeObservation[]).includes(n))
      .map((n) => standbyView(n, writerLsn, rows)),
    unreachable: observation.nodes.flatMap((n) => (n.reachable ? [] : [{ node: n.node, reason: n.reason }])),
    slotRetainedBytes: writerObs?.slots
      ? physicalSlots.reduce((max, s) => Math.max(max, s.retainedBytes ?? 0), 0)
      : null,
    inactiveSlots: writerObs?.slots ? writerObs.slots.filter((s) => !s.active).length : null,
    archiver: writerObs?.archiver ?? null,
    syncRepWaitSeconds: writerObs?.sync?.oldestWaitSeconds ?? null,
    subscribers: observation.subscribers.map((sub) =>
      sub.reachable
        ? {
            name: sub.name,
            reachable: true,
            lagSeconds: sub.subscription.lagSeconds,
            lagBytes:
              writerLsn === null || sub.subscription.receivedLsn === null
                ? null
                : positive(writerLsn - sub.subscription.receivedLsn),
          }
        : { name: sub.name, reachable: false, lagSeconds: null, lagBytes: null },
    ),
  };
};
