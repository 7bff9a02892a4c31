import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { functionName } from '../shared/infra/names';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { sleep } from '../shared/time';
import type * as Log from '../shared/log';
import type * as LocalHandlers from '../local/handlers';

import type { InvokedFunction, OperatorFunction } from '../shared/operators/access';

export type { OperatorFunction } from '../shared/operators/access';

export interface FailoverOutcome {
  executionName: string;
  status: string;
  output: unknown;
  error?: string;
  cause?: string;
}

/** Where the operator commands run: the deployed Lambdas, or the same handlers in-process. */
export interface Backend {
  call(fn: OperatorFunction, request: Record<string, unknown>): Promise<unknown>;
  failover(request: Record<string, unknown>, progress: (line: string) => void): Promise<FailoverOutcome>;
  /** Ends every session and client the backend opened, so that the process can exit by itself. */
  close(): Promise<void>;
}

/** An error a handler raised (its name is the contract: InvalidInputError means a bad request). */
export class RemoteError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

/** Invokes `<service>-<stage>-<fn>` and follows the failover execution in Step Functions. */
export const awsBackend = (options: { service: string; stage: string; region?: string }): Backend => {
  const lambda = new LambdaClient(options.region ? { region: options.region } : {});
  const sfn = new SFNClient(options.region ? { region: options.region } : {});
  // Only the functions of OPERATOR_ACCESS: the operators' IAM policies cover exactly those.
  const invoke = async (fn: InvokedFunction, request: Record<string, unknown>) => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: functionName(options.service, options.stage, fn), Payload: Buffer.from(JSON.stringify(request)) }),
    );
    const payload = out.Payload ? (JSON.parse(Buffer.from(out.Payload).toString('utf8')) as unknown) : null;
    if (out.FunctionError) {
      const failure = (payload ?? {}) as { errorType?: string; errorMessage?: string };
      throw new RemoteError(failure.errorType ?? 'Error', failure.errorMessage ?? 'the function failed');
    }
    return payload;
  };
  return {
    call: invoke,
    failover: async (request, progress) => {
      const started = (await invoke('failover', request)) as { executionName: string; executionArn?: string; started: boolean };
      if (!started.executionArn) throw new RemoteError('FailoverNotStarted', `execution ${started.executionName} was not started`);
      const began = Date.now();
      let last = '';
      for (;;) {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, reverseOrder: true, maxResults: 10 }));
        const entered = history.events?.find((e) => e.stateEnteredEventDetails)?.stateEnteredEventDetails?.name;
        if (entered && entered !== last) {
          last = entered;
          progress(`[+${((Date.now() - began) / 1000).toFixed(1)}s] ${entered}`);
        }
        if (described.status !== 'RUNNING') {
          return {
            executionName: started.executionName,
            status: described.status ?? 'UNKNOWN',
            output: described.output ? JSON.parse(described.output) : null,
            ...(described.error ? { error: described.error } : {}),
            ...(described.cause ? { cause: described.cause } : {}),
          };
        }
        await sleep(2000);
      }
    },
    close: () => {
      lambda.destroy();
      sfn.destroy();
      return Promise.resolve();
    },
  };
};

/**
 * Runs the handlers in this process against a local stack: the environment file names the
 * configuration, the emulator endpoint and the deployment names (the drill's --keep writes one).
 */
export const localBackend = async (envFile: string): Promise<Backend> => {
  let env: Record<string, string>;
  try {
    env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new RemoteError('UsageError', `--local ${envFile}: cannot read the environment file (${(error as Error).message})`);
  }
  Object.assign(process.env, env);
  // The handlers' log lines go to standard error (standard output is the CLI's own, --json included);
  // warnings and errors always, everything with LOG_LEVEL=info or debug.
  const verbose = ['info', 'debug'].includes(process.env.LOG_LEVEL ?? '');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the environment is set, see below
  (require('../shared/log') as typeof Log).setLogSink((line) => {
    if (verbose || /"level":"(warn|error)"/.test(line)) process.stderr.write(`${line}\n`);
  });
  // Loaded only in local mode and after the environment is set (the handlers' clients read it when
  // they load): plain require, which the CLI's launcher hooks for TypeScript.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, as said above
  const local = require('../local/handlers') as typeof LocalHandlers;
  const asRemote = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new RemoteError((error as Error).name, (error as Error).message);
    }
  };
  return {
    call: (fn, request) => asRemote(() => local.localHandlers[fn](request)),
    failover: async (request, progress) => {
      const began = Date.now();
      const machine = local.localFailoverMachine({
        onStateEntered: (_execution, state) => progress(`[+${((Date.now() - began) / 1000).toFixed(1)}s] ${state}`),
      });
      const { executionName } = await asRemote(() => local.localManualFailover(machine)(request));
      const execution = await machine.executions().get(executionName)!;
      return {
        executionName,
        status: execution.status,
        output: execution.output,
        ...(execution.error ? { error: execution.error } : {}),
        ...(execution.cause ? { cause: execution.cause } : {}),
      };
    },
    close: () => local.closeLocalHandlers(),
  };
};
