/**
 * The cluster's recorded state: who the writer is, on which timeline, what each node was last seen
 * doing, which nodes are fenced, whether automatic failover is paused and what happened last. The
 * configuration seeds it once; after that only observed facts and the workflow's own actions change
 * it, and every change is a conditional write on `generation`. Pure: no client, no clock.
 */

export type ObservedRole = 'writer' | 'standby' | 'read-only' | 'unreachable';

export interface NodeRecord {
  role: ObservedRole;
  /** The node it streams from (a configured node's name), when a standby. */
  upstream: string | null;
  timeline: number | null;
  observedAt: string;
}

export interface FenceRecord {
  reason: string;
  /** The fence was confirmed (instance stopped); false when traffic moved without confirmation. */
  confirmed: boolean;
  at: string;
  by: string;
}

export interface PauseRecord {
  by: string;
  since: string;
  reason: string;
}

export interface IncidentRecord {
  execution: string;
  kind: 'failover' | 'switchover';
  at: string;
  from: string | null;
  to: string;
  timeline: number | null;
  /** Every step finished; false while (or when) a failover that promoted did not finish. */
  completed: boolean;
}

/**
 * Which standby the writer names synchronous (policy.synchronousMode), as the control plane last set
 * and confirmed it. `node` null: none since `since`, so commits the writer acknowledged from then on
 * may exist on it alone. A standby is recorded only once the writer reports it `sync` and it has
 * flushed everything the writer had written when it was named: from then on it holds every
 * acknowledged commit — of transactions that ran with `synchronous_commit` `on` or `remote_apply`
 * (`remote_write`: received, not yet flushed; `local` or `off` never wait for it, a session may
 * choose that for itself).
 */
export interface SynchronousRecord {
  /** The writer whose synchronous_standby_names this is (a new writer starts unrecorded). */
  writer: string;
  node: string | null;
  /** synchronous_standby_names as set. */
  names: string;
  since: string;
}

export interface ClusterRecord {
  cluster: string;
  /** Incremented by every change; a write names the generation it read. */
  generation: number;
  writer: string;
  /** The writer's timeline; null until observed. */
  timeline: number | null;
  nodes: Record<string, NodeRecord>;
  fenced: Record<string, FenceRecord>;
  paused: PauseRecord | null;
  lastIncident: IncidentRecord | null;
  /** Absent in records written before synchronous replication was managed: unknown. */
  synchronous?: SynchronousRecord | null;
  updatedAt: string;
  updatedBy: string;
}

/** The first record of a cluster: the configured primary is the writer until observed otherwise. */
export const seedRecord = (cluster: string, configuredWriter: string, at: string): ClusterRecord => ({
  cluster,
  generation: 1,
  writer: configuredWriter,
  timeline: null,
  nodes: {},
  fenced: {},
  paused: null,
  lastIncident: null,
  synchronous: null,
  updatedAt: at,
  updatedBy: 'configuration (seed)',
});

/** The next generation of `record` with `change` applied. */
export const nextRecord = (record: ClusterRecord, change: Partial<Omit<ClusterRecord, 'cluster' | 'generation'>>, by: string, at: string): ClusterRecord => ({
  ...record,
  ...change,
  generation: record.generation + 1,
  updatedAt: at,
  updatedBy: by,
});

export interface PromotionFacts {
  writer: string;
  timeline: number | null;
  previousWriter: string | null;
  /** The previous writer's fence (failover) or null (switchover: it stays read-only, unfenced). */
  fence: { confirmed: boolean; reason: string } | null;
  execution: string;
  kind: IncidentRecord['kind'];
}

/**
 * The record after `facts.writer` was promoted: the new writer and timeline, the old writer fenced
 * (a failover) and never again a candidate until an operator clears it, and the incident.
 */
export const recordPromotion = (record: ClusterRecord, facts: PromotionFacts, at: string): ClusterRecord => {
  const fenced = { ...record.fenced };
  delete fenced[facts.writer];
  if (facts.previousWriter && facts.fence) {
    fenced[facts.previousWriter] = { reason: facts.fence.reason, confirmed: facts.fence.confirmed, at, by: facts.execution };
  }
  const nodes = { ...record.nodes, [facts.writer]: { role: 'writer' as const, upstream: null, timeline: facts.timeline, observedAt: at } };
  if (facts.previousWriter && facts.previousWriter !== facts.writer) {
    const before = record.nodes[facts.previousWriter];
    nodes[facts.previousWriter] = { role: facts.fence ? 'unreachable' : 'read-only', upstream: null, timeline: before?.timeline ?? record.timeline, observedAt: at };
  }
  return nextRecord(
    record,
    {
      writer: facts.writer,
      timeline: facts.timeline,
      nodes,
      fenced,
      lastIncident: { execution: facts.execution, kind: facts.kind, at, from: facts.previousWriter, to: facts.writer, timeline: facts.timeline, completed: facts.kind === 'switchover' },
    },
    facts.execution,
    at,
  );
};

/**
 * The record before a promotion is attempted: the incident opened (writer unchanged), so that a
 * promotion that happens but is never recorded (a timeout, a crash) is recognised by the next run
 * as this failover's, not taken for a new writer to fail over.
 */
export const recordIntent = (record: ClusterRecord, intent: { execution: string; from: string; to: string }, at: string): ClusterRecord =>
  nextRecord(
    record,
    { lastIncident: { execution: intent.execution, kind: 'failover', at, from: intent.from, to: intent.to, timeline: null, completed: false } },
    intent.execution,
    at,
  );

/** The record once the incident's every step finished (a later failover starts from its new writer). */
export const recordCompletion = (record: ClusterRecord, execution: string, at: string): ClusterRecord | null =>
  record.lastIncident?.execution === execution && !record.lastIncident.completed
    ? nextRecord(record, { lastIncident: { ...record.lastIncident, completed: true } }, execution, at)
    : null;

/** Has this promotion already been recorded (a retried step)? */
export const promotionRecorded = (record: ClusterRecord, writer: string, execution: string): boolean =>
  record.writer === writer && record.lastIncident?.execution === execution;

/** The record with automatic failover paused (unchanged when already paused: the first pause stands). */
export const recordPause = (record: ClusterRecord, pause: PauseRecord): ClusterRecord | null =>
  record.paused ? null : nextRecord(record, { paused: pause }, pause.by, pause.since);

/** The record with automatic failover resumed (null when it was not paused). */
export const recordResume = (record: ClusterRecord, by: string, at: string): ClusterRecord | null =>
  record.paused ? nextRecord(record, { paused: null }, by, at) : null;

/**
 * The record after `node` was rejoined as a standby of the writer: no longer fenced (it can be a
 * candidate again, e.g. for a failback), following the writer on its timeline. Pure.
 */
export const recordRejoin = (record: ClusterRecord, node: string, by: string, at: string): ClusterRecord => {
  const { [node]: _cleared, ...fenced } = record.fenced;
  return nextRecord(record, { fenced }, by, at);
};

/** "paused since 2026-…, by alice, because maintenance" — the sentence receipts and status carry. */
export const describePause = (pause: PauseRecord): string => `paused since ${pause.since}, by ${pause.by}, because ${pause.reason}`;

/** The record with `synchronous` as the writer now has it (null when it says so already). */
export const recordSynchronous = (record: ClusterRecord, synchronous: SynchronousRecord, by: string, at: string): ClusterRecord | null => {
  const now = record.synchronous;
  if (now && now.writer === synchronous.writer && now.node === synchronous.node && now.names === synchronous.names) return null;
  return nextRecord(record, { synchronous }, by, at);
};

/** The synchronous standby the record holds for `writer` (undefined: not recorded for that writer). */
export const synchronousOf = (record: ClusterRecord, writer: string): SynchronousRecord | undefined =>
  record.synchronous && record.synchronous.writer === writer ? record.synchronous : undefined;
