import type { z } from 'zod';
import { loadConfig } from '../../shared/config/load';
import { InvalidInputError } from '../../shared/errors';
import { leaseStore } from '../../shared/failover/environment';
import { lambda } from '../../shared/lambda';
import { historyRequestSchema } from '../../shared/operators/requests';

export interface HistoryEntry {
  cluster: string;
  kind: 'failover' | 'switchover';
  at: string;
  outcome: string;
  from: string | null;
  to: string | null;
  reasons: string[];
  receipt: Record<string, unknown>;
}

const entryOf = (cluster: string, raw: unknown): HistoryEntry => {
  const r = (raw ?? {}) as Record<string, unknown>;
  const switchover = r.kind === 'switchover';
  return {
    cluster,
    kind: switchover ? 'switchover' : 'failover',
    at: String(r.startedAt ?? r.at ?? ''),
    outcome: String(r.outcome ?? 'unknown'),
    from: (switchover ? r.from : r.previousPrimary) as string | null,
    to: (switchover ? r.to : r.promoted) as string | null,
    reasons: Array.isArray(r.reasons) ? (r.reasons as string[]) : [],
    receipt: r,
  };
};

/** Past failovers and switchovers with their receipts, newest first (kept in the lease table). */
export const history = async (request: z.output<typeof historyRequestSchema>): Promise<{ entries: HistoryEntry[] }> => {
  const config = loadConfig();
  const clusters = request.cluster ? config.clusters.filter((c) => c.name === request.cluster) : config.clusters;
  if (clusters.length === 0) throw new InvalidInputError(`cluster: unknown cluster "${request.cluster}"`);
  const store = leaseStore(config);
  const perCluster = await Promise.all(clusters.map(async (c) => (await store.receipts(c.name, request.limit)).map((r) => entryOf(c.name, r))));
  const entries = perCluster.flat().sort((a, b) => b.at.localeCompare(a.at)).slice(0, request.limit);
  return { entries };
};

export const handler = lambda('history', history, { input: historyRequestSchema });
