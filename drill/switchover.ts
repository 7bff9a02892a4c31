import { localHandlers } from '../local/handlers';

/** What the drill reads of the operator switchover's receipt. */
export interface SwitchoverResult {
  outcome: string;
  reasons: string[];
  [field: string]: unknown;
}

/** The operator switchover Lambda as deployed (validation included), run in this process. */
export const runSwitchover = (request: { cluster: string; to: string }): Promise<SwitchoverResult> =>
  localHandlers.switchover(request) as Promise<SwitchoverResult>;
