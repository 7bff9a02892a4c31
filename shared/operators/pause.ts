import type { ClusterContext } from '../config/cluster-context';
import { describePause, recordPause, recordResume, type ClusterRecord } from '../decisions/cluster-record';
import { RecordConflictError } from '../errors';
import { readRecord } from '../actions/topology';
import { clusterRecordStore } from '../workflow/environment';

export interface PauseResult {
  cluster: string;
  paused: boolean;
  /** "paused since …, by …, because …", or that automatic failover runs. */
  summary: string;
  changed: boolean;
  generation: number;
}

const ATTEMPTS = 3;

/**
 * Applies `change` to the cluster record with a conditional write, reading it again when another
 * writer got there first (a pause or resume is an intent that holds whatever else changed).
 */
const applyToRecord = async (context: ClusterContext, change: (record: ClusterRecord) => ClusterRecord | null): Promise<{ record: ClusterRecord; changed: boolean }> => {
  for (let attempt = 1; ; attempt += 1) {
    const record = await readRecord(context);
    const next = change(record);
    if (!next) return { record, changed: false };
    try {
      return { record: await clusterRecordStore(context.config).update(next, record.generation), changed: true };
    } catch (error) {
      if (!(error instanceof RecordConflictError) || attempt >= ATTEMPTS) throw error;
    }
  }
};

const resultOf = (record: ClusterRecord, changed: boolean): PauseResult => ({
  cluster: record.cluster,
  paused: record.paused !== null,
  summary: record.paused ? `automatic failover of ${record.cluster} ${describePause(record.paused)}` : `automatic failover of ${record.cluster} is active`,
  changed,
  generation: record.generation,
});

/**
 * Pauses automatic failover: alarms still start executions, which stop at the lease with the pause
 * in their receipt. Operators' switchovers and failovers still run. Pausing twice keeps the first.
 */
export const pauseCluster = async (context: ClusterContext, request: { by: string; reason: string }): Promise<PauseResult> => {
  const since = new Date().toISOString();
  const { record, changed } = await applyToRecord(context, (r) => recordPause(r, { by: request.by, since, reason: request.reason }));
  return resultOf(record, changed);
};

/** Resumes automatic failover (a no-op when it was not paused). */
export const resumeCluster = async (context: ClusterContext, request: { by: string }): Promise<PauseResult> => {
  const { record, changed } = await applyToRecord(context, (r) => recordResume(r, request.by, new Date().toISOString()));
  return resultOf(record, changed);
};
