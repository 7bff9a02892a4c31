import type { NodeConfig } from '../config/schema';
import type { ClusterContext } from '../config/cluster-context';
import { promotionRecorded, recordIntent, recordPromotion, type ClusterRecord, type PromotionFacts } from '../decisions/cluster-record';
import { RecordConflictError } from '../errors';
import { readTopology } from '../postgres/topology-sql';
import { clusterRecordStore } from '../workflow/environment';
import { readRecord } from './topology';
import { withFailoverConnection } from './failover-connection';

/**
 * Before acting on a decision made from generation `expected` of the cluster record: the record must
 * still be at that generation (or already carry this very promotion: a retried step).
 * @throws RecordConflictError naming both generations; nothing has been changed.
 */
export const recordStillAt = async (context: ClusterContext, expected: number, writer: string, execution: string): Promise<ClusterRecord> => {
  const record = await readRecord(context);
  // A retried step finds its own incident (opened or recorded) in the record: not a stale decision.
  if (record.generation !== expected && record.lastIncident?.execution !== execution && !promotionRecorded(record, writer, execution)) {
    throw new RecordConflictError(
      `${context.cluster.name}: the cluster record changed since the decision (generation ${expected}, now ${record.generation}: writer ${record.writer}, by ${record.updatedBy}); not acting on a stale decision`,
    );
  }
  return record;
};

/**
 * Opens the incident in the record before promoting (once per execution): a promotion that then
 * happens without being recorded is still known as this failover's.
 */
export const openIncident = async (context: ClusterContext, record: ClusterRecord, intent: { execution: string; from: string; to: string }): Promise<ClusterRecord> => {
  if (record.lastIncident?.execution === intent.execution) return record;
  return clusterRecordStore(context.config).update(recordIntent(record, intent, new Date().toISOString()), record.generation);
};

/** The timeline a writer writes on now. */
export const writerTimeline = async (context: ClusterContext, node: NodeConfig): Promise<number | null> =>
  (await withFailoverConnection(context, node, readTopology)).timeline;

/**
 * Records the promotion: the new writer and its timeline, the old writer fenced (failover), the
 * incident; a conditional write on the generation read before acting. Recording it twice is a no-op.
 * @throws RecordConflictError when another writer changed the record meanwhile.
 */
export const storePromotion = async (context: ClusterContext, record: ClusterRecord, facts: PromotionFacts): Promise<ClusterRecord> => {
  if (promotionRecorded(record, facts.writer, facts.execution)) return record;
  const next = recordPromotion(record, facts, new Date().toISOString());
  return clusterRecordStore(context.config).update(next, record.generation);
};
