import type { Backend } from './backends';
import type { CommandName } from './commands';
import { formatHistory, formatPlan, formatReceipt, formatRejoin, formatResolve, formatStatus, formatSwitchover, statusReport, type StatusAnswer } from './format';
import { EXIT } from './usage';
import type { RejoinReceipt } from '../shared/operators/rejoin';
import type { Receipt } from '../shared/decisions/receipt';
import type { FailoverPlan } from '../shared/operators/plan';
import type { SwitchoverReceipt } from '../shared/operators/switchover';
import type { HistoryEntry } from '../shared/operators/history';
import type { PauseResult } from '../shared/operators/pause';
import type { ResolveResult } from '../shared/operators/resolve';

/** What a command printed and how it exits: `value` with --json, `text` without. */
export interface CommandResult {
  value: unknown;
  text: string;
  code: number;
}

/** Runs one command with its request; `progress` lines go to standard error (not with --json). */
type Runner = (backend: Backend, request: Record<string, unknown>, progress: (line: string) => void) => Promise<CommandResult>;

const status: Runner = async (backend, request) => {
  const result = (await backend.call('status', request)) as StatusAnswer;
  return { value: statusReport(result), text: formatStatus(result), code: result.clusters.every((c) => c.consistent) ? EXIT.ok : EXIT.negative };
};

const plan: Runner = async (backend, request) => {
  const result = (await backend.call('plan', request)) as FailoverPlan;
  return { value: result, text: formatPlan(result), code: result.wouldFailOver ? EXIT.ok : EXIT.negative };
};

const switchover: Runner = async (backend, request, progress) => {
  const rejoin = request.noRejoin === true ? '' : ', then rejoining the old primary as its standby';
  progress(`switching ${String(request.cluster)} over to ${String(request.to)}: stopping writes, waiting for it to catch up${rejoin}...`);
  const receipt = (await backend.call('switchover', request)) as SwitchoverReceipt;
  return { value: receipt, text: formatSwitchover(receipt), code: receipt.outcome === 'switched' ? EXIT.ok : EXIT.negative };
};

const failover: Runner = async (backend, request, progress) => {
  const outcome = await backend.failover(request, progress);
  if (outcome.status !== 'SUCCEEDED') {
    return { value: outcome, text: `failover ${outcome.executionName} ${outcome.status}: ${outcome.error ?? ''} ${outcome.cause ?? ''}`.trim(), code: EXIT.error };
  }
  const receipt = outcome.output as Receipt & { acquired?: boolean; reason?: string };
  if (receipt.acquired === false) return { value: outcome, text: `failover not started: ${receipt.reason}`, code: EXIT.negative };
  return { value: outcome, text: formatReceipt(receipt), code: receipt.outcome === 'promoted' ? EXIT.ok : EXIT.negative };
};

const history: Runner = async (backend, request) => {
  const result = (await backend.call('history', request)) as { entries: HistoryEntry[] };
  return { value: result, text: formatHistory(result.entries), code: EXIT.ok };
};

const rejoin: Runner = async (backend, request, progress) => {
  const dryRun = request.dryRun === true;
  progress(`${dryRun ? 'checking' : 'rejoining'} ${String(request.node)} of ${String(request.cluster)}${dryRun ? ' (dry run)' : ': stopping it, rewinding, restarting as a standby'}...`);
  const receipt = (await backend.call('rejoin', request)) as RejoinReceipt;
  return { value: receipt, text: formatRejoin(receipt), code: receipt.outcome === 'rejoined' || receipt.outcome === 'dry-run' ? EXIT.ok : EXIT.negative };
};

const pauseOrResume =
  (fn: 'pause' | 'resume'): Runner =>
  async (backend, request) => {
    const result = (await backend.call(fn, request)) as PauseResult;
    return { value: result, text: `${result.summary}${result.changed ? '' : ' (unchanged)'}`, code: EXIT.ok };
  };

const resolve: Runner = async (backend, request) => {
  const result = (await backend.call('resolve', request)) as ResolveResult;
  return { value: result, text: formatResolve(result), code: result.outcome === 'refused' ? EXIT.negative : EXIT.ok };
};

/** Every command of the table has its runner (the type refuses a command without one). */
export const RUNNERS: Record<CommandName, Runner> = {
  status,
  plan,
  switchover,
  failover,
  history,
  rejoin,
  pause: pauseOrResume('pause'),
  resume: pauseOrResume('resume'),
  resolve,
};
