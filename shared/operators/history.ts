import type { LeaseStore } from '../aws/lease';
import { clustersSelected } from '../config/cluster-context';
import type { FailoverConfig } from '../config/schema';

/** One past failover or switchover, as the history lists it. */
export interface HistoryEntry {
  cluster: string;
  kind: 'failover' | 'switchover' | 'rejoin' | 'node-returned' | 'repair';
  at: string;
  outcome: string;
  from: string | null;
  to: string | null;
  reasons: string[];
  receipt: Record<string, unknown>;
}

/** A receipt field as text (receipts are parsed JSON: strings, or a number or flag now and then). */
const textOf = (value: unknown, fallback: string): string =>
  typeof value === 'string' ? value : value === undefined || value === null ? fallback : JSON.stringify(value);

/** Reads a stored receipt (a failover's or a switchover's) as a history entry. */
export const historyEntry = (cluster: string, raw: unknown): HistoryEntry => {
  const r = (raw ?? {}) as Record<string, unknown>;
  // Every other kind names both ends as from/to; a failover's are its own fields.
  const kind = r.kind === 'switchover' || r.kind === 'rejoin' || r.kind === 'node-returned' || r.kind === 'repair' ? r.kind : 'failover';
  const switchover = kind !== 'failover';
  return {
    cluster,
    kind,
    at: textOf(r.startedAt ?? r.at, ''),
    outcome: textOf(r.outcome, 'unknown'),
    from: (switchover ? r.from : r.previousPrimary) as string | null,
    to: (switchover ? r.to : r.promoted) as string | null,
    reasons: Array.isArray(r.reasons) ? (r.reasons as string[]) : [],
    receipt: r,
  };
};

/**
 * Past failovers and switchovers with their receipts, newest first, of one cluster or all.
 * @throws InvalidInputError for an unknown cluster name.
 */
export const readHistory = async (
  config: FailoverConfig,
  store: Pick<LeaseStore, 'receipts'>,
  request: { cluster?: string | undefined; limit: number },
): Promise<HistoryEntry[]> => {
  const clusters = clustersSelected(config, request.cluster);
  const perCluster = await Promise.all(clusters.map(async (c) => (await store.receipts(c.name, request.limit)).map((r) => historyEntry(c.name, r))));
  return perCluster.flat().sort((a, b) => b.at.localeCompare(a.at)).slice(0, request.limit);
};
