import { arbiterView } from '../decisions/arbiter';
import type { Client } from 'pg';
import type { ClusterRecordStore } from '../aws/cluster-record';
import type { LeaseStore } from '../aws/lease';
import { configuredPrimary, nodeNamed, type ClusterContext } from '../config/cluster-context';
import type { ClusterConfig, FailoverConfig } from '../config/schema';
import { log } from '../log';
import { recordSynchronous, seedRecord, synchronousOf, type ClusterRecord, type SynchronousRecord } from '../decisions/cluster-record';
import { decideSynchronous, type SyncStandbyView, type SyncVerdict } from '../decisions/sync-replication';
import type { ClusterObservation } from '../monitor/snapshot';
import {
  currentWalPosition,
  readSynchronousStandbyNames,
  reloadConfiguration,
  setSynchronousStandbyNames,
  synchronousAndFlushed,
} from '../postgres/follow-sql';
import { isInRecovery } from '../postgres/failover-sql';
import { sleep } from '../time';
import { withFailoverConnection } from './failover-connection';
import { recordRepairs, type RepairReceipt } from './repair-receipt';

/** Seconds the act holds the lease (it takes a few round trips and a bounded confirmation). */
export const SYNCHRONOUS_LEASE_SECONDS = 30;
/** Longest wait for a newly named standby to report `sync` and catch up before it is recorded. */
const CONFIRM_MS = 5000;

export interface SynchronousOutcome {
  cluster: string;
  writer: string | null;
  verdict: SyncVerdict | null;
  /** The change made (or tried), as the history keeps it. */
  receipt: RepairReceipt | null;
  /** The record as left (null: not read). */
  recorded: SynchronousRecord | null;
  /** Why nothing was done although something differs (the lease, the record moved, no single writer). */
  deferred: string | null;
  /** Strict mode holding a lost standby: a person must act. */
  page: string | null;
}

/**
 * Seconds each node has been seen not streaming from the writer, across the samples of one monitor
 * invocation (a new invocation starts unknowing: it then judges by waiting commits alone).
 */
export class NotStreamingClock {
  private readonly since = new Map<string, number>();

  observe(cluster: string, node: string, streaming: boolean, at: number): number | null {
    const key = `${cluster}\u0000${node}`;
    if (streaming) {
      this.since.delete(key);
      return null;
    }
    const first = this.since.get(key) ?? at;
    this.since.set(key, first);
    return (at - first) / 1000;
  }
}

const readRecord = async (context: ClusterContext, records: Pick<ClusterRecordStore, 'read'>, at: Date): Promise<ClusterRecord> =>
  (await records.read(context.cluster.name)) ?? seedRecord(context.cluster.name, configuredPrimary(context.cluster).name, at.toISOString());

/** The standbys as the writer's own view shows them (pg_stat_replication by application_name). */
const standbyViews = (context: ClusterContext, observation: ClusterObservation, writer: string, record: ClusterRecord, clock: NotStreamingClock): SyncStandbyView[] => {
  const seen = observation.nodes.find((n) => n.node === writer);
  const rows = seen?.reachable ? (seen.replication ?? []) : [];
  return context.cluster.nodes
    .filter((n) => n.name !== writer)
    .map((n) => {
      const row = rows.find((r) => r.applicationName === n.name);
      const streaming = row?.state === 'streaming';
      return {
        node: n.name,
        region: n.region,
        configuredRole: n.role,
        streaming,
        replyAgeSeconds: row?.replyAgeSeconds ?? null,
        notStreamingSeconds: clock.observe(context.cluster.name, n.name, streaming, observation.at.getTime()),
        fenced: record.fenced[n.name] !== undefined,
      };
    });
};

/**
 * Keeps the writer's synchronous_standby_names as policy.synchronousMode says, on each monitor
 * sample: decides from the writer's own view, then acts only on the node the cluster record names
 * as writer, under the lease (a running failover or switchover holds it: nothing is done then), on
 * the record's generation (a record that moved meanwhile stops the act), and re-checks the setting
 * over the failover login before changing it. The record never claims more than is true: a
 * standby dropped is recorded gone before the setting changes, a standby named is recorded only once
 * the writer reports it synchronous and caught up.
 */
export const manageSynchronous = async (
  context: ClusterContext,
  observation: ClusterObservation,
  deps: { leases: LeaseStore; records: Pick<ClusterRecordStore, 'read' | 'readOrSeed' | 'update'>; clock: NotStreamingClock },
): Promise<SynchronousOutcome> => {
  const { cluster } = context;
  const writable = observation.nodes.filter((n) => n.reachable && !n.state.inRecovery && !n.state.readOnly);
  const writerSeen = writable.length === 1 ? writable[0] : undefined;
  const none = { cluster: cluster.name, receipt: null, page: null };
  if (cluster.policy.synchronousMode === 'off') return { ...none, writer: null, verdict: null, recorded: null, deferred: null };
  if (!writerSeen?.reachable || !writerSeen.sync) {
    return { ...none, writer: null, verdict: null, recorded: null, deferred: `no single writer observed (${writable.length} writable): nothing decided` };
  }
  const record = await readRecord(context, deps.records, observation.at);
  if (record.writer !== writerSeen.node) {
    return { ...none, writer: writerSeen.node, verdict: null, recorded: record.synchronous ?? null, deferred: `the cluster record names ${record.writer} as the writer, not ${writerSeen.node}: not touched` };
  }
  const writer = nodeNamed(cluster, record.writer, 'cluster record writer');
  // A stack in the writer's own region is passive: the stacks outside it manage the setting.
  const arbiter = arbiterView(context.config, cluster, { node: record.writer, from: 'record' }, context.config.controlRegion);
  if (!arbiter.acts) return { ...none, writer: writer.name, verdict: null, recorded: record.synchronous ?? null, deferred: arbiter.reason };
  const verdict = decideSynchronous({
    mode: cluster.policy.synchronousMode,
    lossSeconds: cluster.policy.syncLossSeconds,
    writer: { node: writer.name, region: writer.region },
    current: writerSeen.sync.names,
    standbys: standbyViews(context, observation, writer.name, record, deps.clock),
    oldestWaitSeconds: writerSeen.sync.oldestWaitSeconds,
  });
  const page = verdict.change ? null : verdict.page;
  const kept = synchronousOf(record, writer.name);
  if (!verdict.change && recordHolds(kept, writerSeen.sync.names, verdict.node, writerSeen.replication ?? [])) return { ...none, writer: writer.name, verdict, recorded: kept ?? null, deferred: null, page };
  const holder = `synchronous-${cluster.name}-${observation.at.getTime()}`;
  const lease = await deps.leases.acquire(cluster.name, holder, 'synchronous', SYNCHRONOUS_LEASE_SECONDS, Date.now(), { ignoreCooldown: true });
  if (!lease.acquired) return { ...none, writer: writer.name, verdict, recorded: kept ?? null, deferred: lease.reason, page };
  try {
    // Under the lease, before any session: a record that moved since the decision (a failover or
    // switchover finished meanwhile) stops the act. A cluster without one gets its seed stored now.
    const held = await deps.records.readOrSeed(cluster.name, configuredPrimary(cluster).name);
    if (held.generation !== record.generation || held.writer !== record.writer) {
      return { ...none, writer: writer.name, verdict, recorded: held.synchronous ?? null, deferred: `the cluster record moved from generation ${record.generation} to ${held.generation} meanwhile: the next sample decides again`, page };
    }
    const act = await withFailoverConnection(context, writer, (client) => actOn(client, { context, record: held, verdict, current: writerSeen.sync!.names, holder, deps }), { queryTimeoutMs: 10_000 });
    return { ...none, writer: writer.name, verdict, ...act, page };
  } finally {
    await deps.leases.release(cluster.name, holder, 0).catch(() => undefined);
  }
};

/**
 * The record already says what the writer shows: the same setting, and either the named standby
 * (named without a break since it was confirmed, it holds every acknowledged commit whether it
 * streams now or not: nothing is acknowledged without it), or none while the named standby does not
 * report `sync` yet (nothing to confirm).
 */
const recordHolds = (kept: SynchronousRecord | undefined, names: string, named: string | null, rows: Array<{ applicationName: string; syncState: string | null }>): boolean => {
  if (kept === undefined || kept.names !== names) return false;
  if (kept.node === named) return true;
  const sync = named !== null && rows.some((r) => r.applicationName === named && r.syncState === 'sync');
  return kept.node === null && !sync;
};

interface ActInput {
  context: ClusterContext;
  record: ClusterRecord;
  verdict: SyncVerdict;
  current: string;
  holder: string;
  deps: { leases: LeaseStore; records: Pick<ClusterRecordStore, 'read' | 'readOrSeed' | 'update'> };
}

/** Under the lease, over the writer's failover session: re-check, record, set, confirm, record. */
const actOn = async (client: Client, input: ActInput): Promise<Pick<SynchronousOutcome, 'receipt' | 'recorded' | 'deferred'>> => {
  const { context, verdict, holder, deps } = input;
  const { cluster } = context;
  let { record } = input;
  const inRecovery = await isInRecovery(client);
  const names = await readSynchronousStandbyNames(client);
  if (inRecovery || names !== input.current) {
    return { receipt: null, recorded: record.synchronous ?? null, deferred: `${record.writer} changed meanwhile (${inRecovery ? 'in recovery' : `synchronous_standby_names now ${names || "''"}`}): the next sample decides again` };
  }
  const write = async (synchronous: SynchronousRecord) => {
    const next = recordSynchronous(record, synchronous, holder, new Date().toISOString());
    if (!next) return;
    if (!(await deps.leases.extend(cluster.name, holder, SYNCHRONOUS_LEASE_SECONDS))) throw new Error(`${holder} no longer holds the lease of ${cluster.name}: nothing written`);
    record = await deps.records.update(next, record.generation);
  };
  const at = () => new Date().toISOString();
  const kept = synchronousOf(record, record.writer);
  const noneSince = kept && kept.node === null ? kept.since : at();
  if (!verdict.change) {
    // The setting is right; the record catches up (a standby named by the re-pointing, now confirmed).
    const named = verdict.node;
    const holds = named !== null && (kept?.node === named || (await confirmSynchronous(client, named)));
    await write(holds ? { writer: record.writer, node: named, names, since: kept?.node === named ? kept.since : at() } : { writer: record.writer, node: null, names, since: noneSince });
    return { receipt: null, recorded: record.synchronous ?? null, deferred: null };
  }
  const receipt = (outcome: RepairReceipt['outcome'], detail: string): RepairReceipt => ({
    kind: 'repair',
    repair: 'synchronous',
    at: at(),
    outcome,
    from: verdict.previous,
    to: verdict.node,
    target: `${record.writer} synchronous_standby_names`,
    generation: record.generation,
    reasons: [verdict.reason, detail],
  });
  try {
    // Recorded gone first: from now on commits may be acknowledged without the standby it names.
    if (kept?.node && kept.node !== verdict.node) await write({ writer: record.writer, node: null, names: verdict.names, since: at() });
    await setSynchronousStandbyNames(client, verdict.names);
    await reloadConfiguration(client);
    const set = `synchronous_standby_names ${names ? `'${names}'` : "''"} → ${verdict.names ? `'${verdict.names}'` : "''"}`;
    if (verdict.node === null) {
      await write({ writer: record.writer, node: null, names: verdict.names, since: noneSince });
      return { receipt: receipt('repaired', `${set}: commits are acknowledged by ${record.writer} alone until a standby streams again`), recorded: record.synchronous ?? null, deferred: null };
    }
    const confirmed = await confirmSynchronous(client, verdict.node);
    if (confirmed) await write({ writer: record.writer, node: verdict.node, names: verdict.names, since: at() });
    const note = confirmed ? `${verdict.node} reports sync and holds every acknowledged commit` : `${verdict.node} not yet confirmed sync and caught up within ${CONFIRM_MS / 1000} s: recorded on a later sample`;
    return { receipt: receipt('repaired', `${set}: ${note}`), recorded: record.synchronous ?? null, deferred: null };
  } catch (error) {
    return { receipt: receipt('failed', (error as Error).message), recorded: record.synchronous ?? null, deferred: null };
  }
};

/** Waits (bounded) until the writer reports `node` synchronous and flushed past the position now. */
const confirmSynchronous = async (client: Client, node: string): Promise<boolean> => {
  const position = await currentWalPosition(client);
  const deadline = Date.now() + CONFIRM_MS;
  for (;;) {
    if (await synchronousAndFlushed(client, node, position)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
};

/**
 * The monitor's per-sample hook: manages each cluster's synchronous standby, stores each change's
 * receipt and publishes it as a `Repairs` datum (Kind synchronous), logs a strict mode's page.
 * `outcomes` keeps the last outcome of each cluster for the invocation's summary.
 */
export const synchronousOnSample = (
  config: FailoverConfig,
  stores: { leases: LeaseStore; records: Pick<ClusterRecordStore, 'read' | 'readOrSeed' | 'update'> },
) => {
  const clock = new NotStreamingClock();
  const outcomes = new Map<string, SynchronousOutcome>();
  const afterSample = async (cluster: ClusterConfig, observation: ClusterObservation): Promise<void> => {
    const outcome = await manageSynchronous({ config, cluster }, observation, { ...stores, clock });
    outcomes.set(cluster.name, outcome);
    if (outcome.page) log.error('synchronous standby lost (strict: kept)', { cluster: cluster.name, page: outcome.page });
    if (!outcome.receipt) return;
    log[outcome.receipt.outcome === 'failed' ? 'warn' : 'info']('synchronous standby changed', { cluster: cluster.name, receipt: outcome.receipt });
    const errors = await recordRepairs(config, cluster.name, stores.leases, `synchronous-${cluster.name}-${observation.at.getTime()}`, [outcome.receipt]);
    if (errors.length > 0) throw new Error(errors.join('; '));
  };
  return { afterSample, outcomes: () => [...outcomes.values()] };
};
