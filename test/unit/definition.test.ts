import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import * as errors from '../../shared/errors';
import { failoverTaskHandlers } from '../../functions/failover';
import { allStates, functionKeyOf, LocalStateMachine, loadDefinition } from '../../local/state-machine';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- asl-validator ships no type definitions
const aslValidator = require('asl-validator') as (definition: unknown, options?: unknown) => { isValid: boolean; errors: unknown[] };

const definition = loadDefinition();
/** Every state, those inside the Parallel state's branches included. */
const states = allStates(definition);
const topLevel = Object.entries(definition.States);
const branchStates = (parallel: string) =>
  ((definition.States[parallel]?.Branches as Array<{ States: Record<string, Record<string, unknown>> }>) ?? []).map((b) => Object.entries(b.States));

/** Error names the code exports (the contract) plus the service's own. */
const exportedErrorNames = new Set(
  Object.values(errors as Record<string, unknown>)
    .filter((value): value is new (message: string) => Error => typeof value === 'function')
    .map((ErrorClass) => new ErrorClass('probe').name),
);
const isServiceError = (name: string) => name === 'States.ALL' || name.startsWith('States.') || name.startsWith('Lambda.');

describe('failover state machine definition', () => {
  it('is valid Amazon States Language', () => {
    const result = aslValidator(definition, { checkPaths: true, checkArn: false });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('names in Retry and Catch only errors the code exports', () => {
    const named = states.flatMap(([, state]) =>
      [...((state.Retry as Array<{ ErrorEquals: string[] }>) ?? []), ...((state.Catch as Array<{ ErrorEquals: string[] }>) ?? [])].flatMap(
        (rule) => rule.ErrorEquals,
      ),
    );
    expect(named.length).toBeGreaterThan(0);
    const unknown = named.filter((name) => !isServiceError(name) && !exportedErrorNames.has(name));
    expect(unknown).toEqual([]);
    expect(exportedErrorNames).toContain('AwsTransientError');
  });

  it('binds every Task to a function declared in serverless.yml and to a local handler', () => {
    const serverless = parse(readFileSync('serverless.yml', 'utf8').replace(/!Ref /g, '')) as { functions: Record<string, unknown> };
    const tasks = states.filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(5);
    for (const [name, state] of tasks) {
      const key = functionKeyOf(state);
      expect({ name, key, declared: key !== null && key in serverless.functions }).toEqual({ name, key, declared: true });
      expect(key !== null && key in failoverTaskHandlers).toBe(true);
    }
    expect(() => new LocalStateMachine(failoverTaskHandlers as never)).not.toThrow();
  });

  it('is deployed to invoke the versions its deploy publishes, not $LATEST (an execution finishes on its code)', () => {
    const serverless = parse(readFileSync('serverless.yml', 'utf8').replace(/!Ref /g, '')) as {
      provider: { versionFunctions?: boolean };
      stepFunctions: { stateMachines: Record<string, { definition: string; useExactVersion?: boolean }> };
    };
    // test/integration/package.test.ts checks the packaged template: every Task's Resource is a version.
    expect(serverless.provider.versionFunctions).toBe(true);
    expect(Object.values(serverless.stepFunctions.stateMachines).map((m) => [m.definition, m.useExactVersion])).toEqual([
      ['${file(./statemachines/failover.asl.json)}', true],
    ]);
  });

  it('gives every Task a timeout that fits inside its function timeout', () => {
    const serverless = parse(readFileSync('serverless.yml', 'utf8').replace(/!Ref /g, '')) as {
      functions: Record<string, { timeout?: number }>;
    };
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
      const fnTimeout = serverless.functions[functionKeyOf(state)!]?.timeout ?? 6;
      expect({ name, fits: typeof state.TimeoutSeconds === 'number' && fnTimeout < state.TimeoutSeconds }).toEqual({ name, fits: true });
    }
  });

  it('reaches a Fail state from every failure, and succeeds only through the receipt or an already-handled lease', () => {
    const notifying = ['RecordFailure', 'ReleaseLeaseAfterFailure', 'RecordLeaseLost'];
    const changesTheWorld = ['FencePrimary', 'PromoteCandidate', 'Repoint'];
    const toFailure = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' };
    const afterLease = topLevel.filter(([name, s]) => ['Task', 'Parallel'].includes(String(s.Type)) && !notifying.includes(name));
    expect(afterLease.map(([name]) => name)).toEqual(expect.arrayContaining(changesTheWorld));
    for (const [name, state] of afterLease) {
      const expected = changesTheWorld.includes(name) ? [{ ErrorEquals: ['LeaseLostError'], ResultPath: '$.error', Next: 'RecordLeaseLost' }, toFailure] : [toFailure];
      expect({ name, Catch: state.Catch }).toEqual({ name, Catch: expected });
    }
    expect(definition.States.FailoverFailed?.Type).toBe('Fail');
    expect(definition.States.LeaseLost?.Type).toBe('Fail');
    expect(definition.States.RecordLeaseLost?.Next).toBe('LeaseLost');
    // Succeed states are reached only after a receipt was published.
    const succeed = states.filter(([, s]) => s.Type === 'Succeed').map(([n]) => n).sort();
    expect(succeed).toEqual(['AlreadyHandled', 'Done']);
    expect(definition.States.RecordAlreadyHandled?.Next).toBe('AlreadyHandled');
    expect(definition.States['LeaseAcquired?']?.Default).toBe('RecordAlreadyHandled');
  });

  it('retries Lambda service errors and, once, an invocation that timed out or crashed (Lambda.Unknown), on every Task', () => {
    const tasks = states.filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(10);
    for (const [name, state] of tasks) {
      const retry = (state.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number }>) ?? [];
      const service = retry.find((r) => r.ErrorEquals.includes('Lambda.ServiceException'));
      expect({ name, service: service?.ErrorEquals }).toEqual({
        name,
        service: expect.arrayContaining(['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
      });
      // Every step can run twice: a function that hit its own timeout gets one more go, not more.
      expect({ name, unknown: retry.filter((r) => r.ErrorEquals.includes('Lambda.Unknown')).map((r) => r.MaxAttempts) }).toEqual({ name, unknown: [1] });
    }
  });

  it('never retries a lost lease', () => {
    for (const [name, state] of states) {
      const retried = ((state.Retry as Array<{ ErrorEquals: string[] }>) ?? []).flatMap((r) => r.ErrorEquals);
      expect({ name, retried: retried.includes('LeaseLostError') || retried.includes('States.ALL') }).toEqual({ name, retried: false });
    }
  });

  it('repoints DATABASE_URL, the cluster record and the followers in branches that do not wait on each other, each catching its own failure', () => {
    const branches = branchStates('Repoint');
    expect(definition.States.PromoteCandidate?.Next).toBe('Repoint');
    expect(branches.map((b) => b.map(([name]) => name))).toEqual([
      ['RewriteDatabaseUrl', 'DatabaseUrlIncomplete', 'DatabaseUrlLeaseLost'],
      ['RepointDns', 'DnsPending', 'DnsLeaseLost'],
      ['RepointFollowers', 'FollowersIncomplete', 'FollowersLeaseLost'],
    ]);
    for (const branch of branches) {
      const [, task] = branch[0]!;
      const [fallback] = branch[1]!;
      const [leaseLost, leaseLostState] = branch[2]!;
      expect(task.Type).toBe('Task');
      // A lost lease is never a partial write nor a pending DNS change: it fails the Parallel state with
      // its own name, which the Repoint state's Catch sends to RecordLeaseLost.
      expect(task.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['LeaseLostError'], Next: leaseLost }),
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: fallback }),
      ]);
      const caughtAt = (task.Catch as Array<{ ResultPath: string }>)[0]!.ResultPath;
      expect(leaseLostState).toMatchObject({ Type: 'Fail', ErrorPath: `${caughtAt}.Error`, CausePath: `${caughtAt}.Cause` });
      expect((task.Retry as Array<{ ErrorEquals: string[] }>).some((r) => r.ErrorEquals.includes('AwsTransientError'))).toBe(true);
    }
    // A DATABASE_URL branch that caught its error still fails the execution, with that error.
    const written = definition.States['DatabaseUrlWritten?'] as { Choices: Array<{ Variable: string; Next: string }>; Default: string };
    expect(written.Choices).toEqual([expect.objectContaining({ Variable: '$.repoint.databaseUrl.failed', Next: 'DatabaseUrlFailed' })]);
    expect(definition.States.DatabaseUrlFailed).toMatchObject({ InputPath: '$.repoint.databaseUrl.error', ResultPath: '$.error', Next: 'RecordFailure' });
    // So does a followers branch that caught its error (after the applications were moved).
    expect(written.Default).toBe('FollowersFollowing?');
    const following = definition.States['FollowersFollowing?'] as { Choices: Array<{ Variable: string; Next: string }>; Default: string };
    expect(following.Choices).toEqual([expect.objectContaining({ Variable: '$.repoint.followers.failed', Next: 'FollowersFailed' })]);
    expect(definition.States.FollowersFailed).toMatchObject({ InputPath: '$.repoint.followers.error', ResultPath: '$.error', Next: 'RecordFailure' });
    // A caught DNS failure ends its branch: the failover goes on to its receipt.
    expect(following.Default).toBe('PublishReceipt');
    expect(definition.States.Repoint?.ResultSelector).toEqual({ 'databaseUrl.$': '$[0]', 'dns.$': '$[1]', 'followers.$': '$[2]' });
  });
});
