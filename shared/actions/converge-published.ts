import type { ClusterRecordStore } from '../aws/cluster-record';
import type { LeaseStore } from '../aws/lease';
import { configuredPrimary, nodeNamed } from '../config/cluster-context';
import type { ClusterConfig } from '../config/schema';
import { seedRecord, type ClusterRecord } from '../decisions/cluster-record';
import { describeRepair, planRepairs, type Repair, type Unchecked } from '../decisions/reconcile';
import { applyDnsIntent, repointRecord, rewriteDatabaseUrls, type RepointWriter } from './repoint';
import { observePublished } from './published-facts';
import type { RepairReceipt } from './repair-receipt';

/** Seconds the convergence holds the lease for its repairs (its Lambda times out at 55 s). */
export const CONVERGENCE_LEASE_SECONDS = 50;

export interface PublishedConvergence {
  /** Generation of the cluster record the pass compared against (null: it could not be read). */
  generation: number | null;
  writer: string | null;
  /** What was repaired or tried this pass (each also a receipt). */
  receipts: RepairReceipt[];
  /** What is still wrong after this pass: "DATABASE_URL … names …, writer is …, pending since …". */
  pending: string[];
  unchecked: Unchecked[];
  /** Why nothing was repaired this pass although something is wrong (the lease, the record moved). */
  deferred: string | null;
}

const receiptOf = (repair: Repair, generation: number, at: string, outcome: RepairReceipt['outcome'], reason: string): RepairReceipt => ({
  kind: 'repair',
  repair: repair.kind,
  at,
  outcome,
  from: repair.from,
  to: repair.to,
  target: repair.kind === 'database-url' ? `${repair.region} ${repair.name}` : 'cluster record',
  generation,
  reasons: [describeRepair(repair), reason],
});

/** Reads the record (an absent one is the seed it would be: nothing is stored by a read). */
const readRecord = async (cluster: ClusterConfig, records: Pick<ClusterRecordStore, 'read'>, now: number): Promise<ClusterRecord> =>
  (await records.read(cluster.name)) ?? seedRecord(cluster.name, configuredPrimary(cluster).name, new Date(now).toISOString());

/**
 * Makes every DATABASE_URL and the cluster record name the writer the cluster record names.
 * Observes without the lease; repairs only under it, after re-reading the record: when its
 * generation moved (a failover or switchover finished meanwhile) nothing is written this pass, and
 * every write re-asserts the lease first, so a stale pass never overwrites a newer writer.
 */
export const convergePublished = async (
  cluster: ClusterConfig,
  stores: { leases: LeaseStore; records: Pick<ClusterRecordStore, 'read'> },
  now: number,
): Promise<PublishedConvergence> => {
  const record = await readRecord(cluster, stores.records, now);
  const plan = planRepairs(await observePublished(cluster, record, stores.leases));
  const base = { generation: record.generation, writer: record.writer, unchecked: plan.unchecked };
  const pendingAll = plan.repairs.map(describeRepair);
  if (plan.repairs.length === 0) return { ...base, receipts: [], pending: [], deferred: null };
  const holder = `converge-${cluster.name}-${now}`;
  const lease = await stores.leases.acquire(cluster.name, holder, 'convergence', CONVERGENCE_LEASE_SECONDS, now, { ignoreCooldown: true });
  if (!lease.acquired) return { ...base, receipts: [], pending: pendingAll, deferred: lease.reason };
  try {
    // Under the lease: the lease extended and the record read once (it must not have moved since it was compared).
    const stillHeld = async () => {
      if (!(await stores.leases.extend(cluster.name, holder, CONVERGENCE_LEASE_SECONDS))) throw new Error(`${holder} no longer holds the lease of ${cluster.name}: nothing written`);
      const latest = await readRecord(cluster, stores.records, now);
      if (latest.generation !== record.generation) throw new Error(`the cluster record moved from generation ${record.generation} to ${latest.generation} meanwhile: nothing written, the next pass compares again`);
    };
    const checked = await stillHeld().then(
      () => null,
      (error: Error) => error.message,
    );
    if (checked !== null) return { ...base, receipts: [], pending: pendingAll, deferred: checked };
    const writer = { store: stores.leases, holder, generation: lease.lease.acquiredAt };
    const receipts = await applyRepairs(cluster, plan.repairs, { record, writer, stillHeld });
    const pending = receipts.flatMap((r, i) => (r.outcome === 'failed' ? [describeRepair(plan.repairs[i]!)] : []));
    return { ...base, receipts, pending, deferred: null };
  } finally {
    await stores.leases.release(cluster.name, holder, 0).catch(() => undefined);
  }
};

/** Carries out the planned repairs (the caller holds the lease); one receipt per repair, in order. */
const applyRepairs = async (
  cluster: ClusterConfig,
  repairs: Repair[],
  held: { record: ClusterRecord; writer: RepointWriter; stillHeld: () => Promise<void> },
): Promise<RepairReceipt[]> => {
  const { writer, stillHeld } = held;
  const { generation } = held.record;
  const at = new Date().toISOString();
  const urls = repairs.filter((r) => r.kind === 'database-url');
  const writerNode = nodeNamed(cluster, held.record.writer, 'cluster record writer');
  // DATABASE_URL: the repoint's own rewrite (every region, each written only when it differs),
  // right after the lease and the record were checked: no second read before it.
  const urlOutcome = urls.length === 0 ? null : await rewriteDatabaseUrls(cluster, writerNode).then(
    (result) => ({ ok: true as const, written: result.parameters }),
    (error: Error) => ({ ok: false as const, reason: error.message }),
  );
  return Promise.all(
    repairs.map(async (repair): Promise<RepairReceipt> => {
      if (repair.kind === 'database-url') {
        if (!urlOutcome?.ok) return receiptOf(repair, generation, at, 'failed', urlOutcome?.reason ?? 'not attempted');
        const written = urlOutcome.written.find((w) => w.region === repair.region && w.name === repair.name);
        return receiptOf(repair, generation, at, 'repaired', `written: now ${written?.host ?? '?'}:${written?.port ?? '?'}`);
      }
      if (repair.via === 'intent') {
        const applied = await applyDnsIntent(cluster, writer.store);
        return applied.action === 'applied' || applied.action === 'none'
          ? receiptOf(repair, generation, at, 'repaired', applied.action === 'applied' ? `recorded intent applied (change ${applied.changeId})` : applied.reason)
          : receiptOf(repair, generation, at, 'failed', applied.reason);
      }
      // After the DATABASE_URL writes (which may have taken a while): checked again before the UPSERT.
      return (urls.length > 0 ? stillHeld() : Promise.resolve())
        .then(() => repointRecord(cluster, writerNode, writer, { waitInSync: false }))
        .then(
          (done) => (done.status === 'superseded' ? receiptOf(repair, generation, at, 'failed', done.reason ?? 'superseded') : receiptOf(repair, generation, at, 'repaired', `UPSERT accepted (change ${done.changeId ?? '?'})`)),
          (error: Error) => receiptOf(repair, generation, at, 'failed', error.message),
        );
    }),
  );
};
