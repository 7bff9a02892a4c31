import { expectFlags, intFlag, parseArgs, requiredFlag, stringFlag, UsageError } from './args';
import { awsBackend, localBackend, RemoteError, type Backend } from './backends';
import { formatHistory, formatPlan, formatReceipt, formatRejoin, formatResolve, formatStatus, formatSwitchover, statusReport, type StatusAnswer } from './format';
import type { RejoinReceipt } from '../shared/operators/rejoin';
import type { Receipt } from '../shared/decisions/receipt';
import type { FailoverPlan } from '../shared/operators/plan';
import type { SwitchoverReceipt } from '../shared/operators/switchover';
import type { HistoryEntry } from '../shared/operators/history';
import type { PauseResult } from '../shared/operators/pause';
import type { ResolveResult } from '../shared/operators/resolve';
import { userInfo } from 'node:os';

/** Who runs the CLI, as a pause records it (--by overrides). */
const operatorName = (): string => {
  try {
    return process.env.USER || userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
};

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, negative: 1, usage: 2, error: 3 } as const;

export const USAGE = `usage: pgfo [--json] [--local ENV_FILE | --stage STAGE --region REGION --service NAME] COMMAND [options]

commands:
  status     [--cluster C]                              roles, lag, and where DNS and DATABASE_URL point
  plan       --cluster C [--to NODE]                    what a failover would do now, and why (changes nothing)
  switchover --cluster C --to NODE [--timeout SECONDS]  planned zero-loss switchover
  failover   --cluster C [--to NODE] [--accept-data-loss] [--reason TEXT] [--accept-unfenced-by NAME]
                                                        operator-declared outage (keeps the lag guard unless
                                                        --accept-data-loss; moves traffic without a proven
                                                        fence only with --accept-unfenced-by)
  history    [--cluster C] [--limit N]                  past failovers, switchovers and rejoins
  rejoin     --cluster C --node N [--dry-run] [--mode auto|rewind|basebackup]
                                                        bring a fenced or diverged node back as a standby
                                                        of the writer (--dry-run: report what it would
                                                        discard, change nothing)
  pause      --cluster C [--reason TEXT] [--by NAME]    stop automatic failovers (operators' actions still run)
  resume     --cluster C [--by NAME]                    let automatic failovers run again
  resolve    --cluster C --writer N --reason TEXT [--by NAME]
                                                        record N, the one node observed accepting writes, as
                                                        the writer (ends a contradiction the workflow refused
                                                        on, once what must not write is stopped or rejoined)

--local ENV_FILE runs the handlers in this process against a local stack (JSON file of environment
variables, as written by 'npm run drill -- --keep'); otherwise the deployed Lambdas are invoked
(<service>-<stage>-<function>, default service pgfo, stage prod).

exit codes: 0 done; 1 refused, aborted, not promoted or endpoints disagree; 2 usage or invalid
request; 3 error while running.`;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const GLOBAL_FLAGS = ['json', 'local', 'stage', 'region', 'service'];

const run = async (backend: Backend, command: string, flags: Record<string, string | boolean>, io: Io): Promise<number> => {
  const json = flags.json === true;
  const print = (value: unknown, human: string) => io.out(json ? JSON.stringify(value, null, 2) : human);
  const cluster = stringFlag(flags, 'cluster');
  switch (command) {
    case 'status': {
      expectFlags(command, flags, [...GLOBAL_FLAGS, 'cluster']);
      const result = (await backend.call('status', cluster ? { cluster } : {})) as StatusAnswer;
      print(statusReport(result), formatStatus(result));
      return result.clusters.every((c) => c.consistent) ? EXIT.ok : EXIT.negative;
    }
    case 'plan': {
      expectFlags(command, flags, [...GLOBAL_FLAGS, 'cluster', 'to']);
      const to = stringFlag(flags, 'to');
      const result = (await backend.call('plan', { cluster: requiredFlag(command, flags, 'cluster'), ...(to ? { to } : {}) })) as FailoverPlan;
      print(result, formatPlan(result));
      return EXIT.ok;
    }
    case 'switchover': {
      expectFlags(command, flags, [...GLOBAL_FLAGS, 'cluster', 'to', 'timeout']);
      const request = {
        cluster: requiredFlag(command, flags, 'cluster'),
        to: requiredFlag(command, flags, 'to'),
        ...(intFlag(flags, 'timeout') !== undefined ? { catchUpTimeoutSeconds: intFlag(flags, 'timeout') } : {}),
      };
      if (!json) io.err(`switching ${request.cluster} over to ${request.to}: stopping writes, waiting for it to catch up...`);
      const receipt = (await backend.call('switchover', request)) as SwitchoverReceipt;
      print(receipt, formatSwitchover(receipt));
      return receipt.outcome === 'switched' ? EXIT.ok : EXIT.negative;
    }
    case 'failover': {
      expectFlags(command, flags, [...GLOBAL_FLAGS, 'cluster', 'to', 'accept-data-loss', 'reason', 'accept-unfenced-by']);
      const to = stringFlag(flags, 'to');
      const reason = stringFlag(flags, 'reason');
      const acceptUnfencedBy = stringFlag(flags, 'accept-unfenced-by');
      const request = {
        cluster: requiredFlag(command, flags, 'cluster'),
        acceptDataLoss: flags['accept-data-loss'] === true,
        ...(to ? { to } : {}),
        ...(reason ? { reason } : {}),
        ...(acceptUnfencedBy ? { acceptUnfencedBy } : {}),
      };
      const outcome = await backend.failover(request, (line) => !json && io.err(line));
      if (outcome.status !== 'SUCCEEDED') {
        print(outcome, `failover ${outcome.executionName} ${outcome.status}: ${outcome.error ?? ''} ${outcome.cause ?? ''}`.trim());
        return EXIT.error;
      }
      const receipt = outcome.output as Receipt & { acquired?: boolean; reason?: string };
      if (receipt.acquired === false) {
        print(outcome, `failover not started: ${receipt.reason}`);
        return EXIT.negative;
      }
      print(outcome, formatReceipt(receipt));
      return receipt.outcome === 'promoted' ? EXIT.ok : EXIT.negative;
    }
    case 'history': {
      expectFlags(command, flags, [...GLOBAL_FLAGS, 'cluster', 'limit']);
      const limit = intFlag(flags, 'limit');
      const result = (await backend.call('history', { ...(cluster ? { cluster } : {}), ...(limit !== undefined ? { limit } : {}) })) as {
        entries: HistoryEntry[];
      };
      print(result, formatHistory(result.entries));
      return EXIT.ok;
    }
    case 'rejoin': {
      expectFlags(command, flags, [...GLOBAL_FLAGS, 'cluster', 'node', 'dry-run', 'mode']);
      const mode = stringFlag(flags, 'mode');
      const request = {
        cluster: requiredFlag(command, flags, 'cluster'),
        node: requiredFlag(command, flags, 'node'),
        dryRun: flags['dry-run'] === true,
        ...(mode ? { mode } : {}),
      };
      if (!json) io.err(`${request.dryRun ? 'checking' : 'rejoining'} ${request.node} of ${request.cluster}${request.dryRun ? ' (dry run)' : ': stopping it, rewinding, restarting as a standby'}...`);
      const receipt = (await backend.call('rejoin', request)) as RejoinReceipt;
      print(receipt, formatRejoin(receipt));
      return receipt.outcome === 'rejoined' || receipt.outcome === 'dry-run' ? EXIT.ok : EXIT.negative;
    }
    case 'pause':
    case 'resume': {
      expectFlags(command, flags, [...GLOBAL_FLAGS, 'cluster', 'by', ...(command === 'pause' ? ['reason'] : [])]);
      const reason = stringFlag(flags, 'reason');
      const request = {
        cluster: requiredFlag(command, flags, 'cluster'),
        by: stringFlag(flags, 'by') ?? operatorName(),
        ...(command === 'pause' && reason ? { reason } : {}),
      };
      const result = (await backend.call(command, request)) as PauseResult;
      print(result, `${result.summary}${result.changed ? '' : ' (unchanged)'}`);
      return EXIT.ok;
    }
    case 'resolve': {
      expectFlags(command, flags, [...GLOBAL_FLAGS, 'cluster', 'writer', 'reason', 'by']);
      const request = {
        cluster: requiredFlag(command, flags, 'cluster'),
        writer: requiredFlag(command, flags, 'writer'),
        reason: requiredFlag(command, flags, 'reason'),
        by: stringFlag(flags, 'by') ?? operatorName(),
      };
      const result = (await backend.call('resolve', request)) as ResolveResult;
      print(result, formatResolve(result));
      return result.outcome === 'refused' ? EXIT.negative : EXIT.ok;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
};

/** The CLI, callable from tests: returns the exit code instead of exiting. */
export const main = async (argv: string[], io: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) }) => {
  try {
    const { command, flags } = parseArgs(argv);
    if (flags.help || !command) {
      io.out(USAGE);
      return command || flags.help ? EXIT.ok : EXIT.usage;
    }
    const local = stringFlag(flags, 'local');
    const region = stringFlag(flags, 'region');
    const backend = local
      ? await localBackend(local)
      : awsBackend({ service: stringFlag(flags, 'service') ?? 'pgfo', stage: stringFlag(flags, 'stage') ?? 'prod', ...(region ? { region } : {}) });
    return await run(backend, command, flags, io);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof RemoteError && error.errorType === 'UsageError')) {
      io.err(`pgfo: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof RemoteError && error.errorType === 'InvalidInputError') {
      io.err(`pgfo: ${error.message}`);
      return EXIT.usage;
    }
    io.err(`pgfo: ${(error as Error).name}: ${(error as Error).message}`);
    return EXIT.error;
  }
};
