import type { z } from 'zod';
import { loadConfig } from '../../shared/config/load';
import { lambda } from '../../shared/lambda';
import { readHistory, type HistoryEntry } from '../../shared/operators/history';
import { historyRequestSchema } from '../../shared/operators/requests';
import { leaseStore } from '../../shared/workflow/environment';

/** Past failovers and switchovers with their receipts, newest first (kept in the lease table). */
export const history = async (request: z.output<typeof historyRequestSchema>): Promise<{ entries: HistoryEntry[] }> => {
  const config = loadConfig();
  return { entries: await readHistory(config, leaseStore(config), request) };
};

export const handler = lambda('history', history, { input: historyRequestSchema });
