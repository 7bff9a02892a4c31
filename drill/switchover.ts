import { join } from 'node:path';

/** What the drill reads of the operator switchover's receipt. */
export interface SwitchoverResult {
  outcome: string;
  reasons: string[];
  [field: string]: unknown;
}

export type SwitchoverHandler = (request: { cluster: string; to: string }, context: unknown) => Promise<SwitchoverResult>;

/** The operator handler the planned-switchover scenario drives (functions/operators/switchover.ts). */
const SWITCHOVER_MODULE = join(__dirname, '..', 'functions', 'operators', 'switchover');

/**
 * Loads the deployed switchover handler. It is loaded at run time, not imported, so that the other
 * scenarios do not depend on it.
 * @throws Error "switchover handler not available yet" when the module is not there.
 */
export const loadSwitchoverHandler = (): SwitchoverHandler => {
  let loaded: { handler?: unknown };
  try {
    loaded = require(SWITCHOVER_MODULE) as { handler?: unknown };
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(SWITCHOVER_MODULE);
    if (missing) throw new Error('--scenario switchover: switchover handler not available yet (functions/operators/switchover.ts)');
    throw error;
  }
  if (typeof loaded.handler !== 'function') throw new Error('--scenario switchover: functions/operators/switchover.ts exports no handler');
  return loaded.handler as SwitchoverHandler;
};
