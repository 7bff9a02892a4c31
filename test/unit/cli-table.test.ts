import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { COMMAND_NAMES, COMMANDS, GLOBAL_FLAGS, type CommandName, type FlagDefinition } from '../../cli/commands';
import { EXIT, main, USAGE } from '../../cli/main';
import { synopsis } from '../../cli/usage';
import type { FailoverPlan } from '../../shared/operators/plan';

const lambda = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);

const pgfo = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

const flagsOf = (command: CommandName): Array<[string, FlagDefinition]> => Object.entries(COMMANDS[command].flags as Record<string, FlagDefinition>);
const fieldOf = (name: string, flag: FlagDefinition): string => flag.field ?? name.replace(/-(.)/g, (_, c: string) => c.toUpperCase());

/** A value each kind of flag accepts, and what the request then carries. */
const sample = (name: string, flag: FlagDefinition): { argv: string[]; value: unknown } => {
  if (flag.kind === 'boolean') return { argv: [`--${name}`], value: true };
  if (flag.kind === 'number') return { argv: [`--${name}`, '7'], value: 7 };
  const text = flag.choices ? flag.choices.at(-1)! : `${name}-value`;
  return { argv: [`--${name}`, text], value: text };
};

const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as InvokeCommandOutput['Payload'];

const aPlan = (wouldFailOver: boolean): FailoverPlan => ({
  cluster: 'orders',
  wouldFailOver,
  summary: wouldFailOver ? 'would fail over to standby_az2' : 'would not fail over: primary answers',
  primary: 'primary',
  generation: 3,
  outage: { decision: wouldFailOver ? 'confirmed' : 'not-confirmed', reason: 'as observed', signals: [], regionHealthy: true, cloudEvidence: false } as unknown as FailoverPlan['outage'],
  candidate: (wouldFailOver ? { promote: true, node: 'standby_az2', reasons: ['in sync'] } : { promote: false, reason: 'primary answers', reasons: ['primary answers'] }) as FailoverPlan['candidate'],
  fencing: { node: 'primary', instanceId: 'i-0598c7d356eba48d7', instanceState: 'running', stopPermission: 'permitted', action: 'would stop it' },
  dns: { record: 'db.orders.internal', current: 'pg-primary', wouldBecome: null },
  databaseUrl: [],
});

/** What each deployed function answers: enough for the CLI to print it and choose its exit code. */
const ANSWERS: Record<CommandName, unknown> = {
  status: { clusters: [] },
  plan: aPlan(false),
  switchover: { cluster: 'orders', outcome: 'refused', from: 'primary', to: 'standby_az2', reasons: ['not ready'], steps: [], writeUnavailableMs: null, dns: null, databaseUrl: [], oldPrimary: null, notificationErrors: [] },
  failover: { executionName: 'orders-manual-1', executionArn: 'arn:aws:states:us-west-2:111122223333:execution:failover:orders-manual-1', started: true },
  history: { entries: [] },
  rejoin: { cluster: 'orders', node: 'primary', outcome: 'dry-run', writer: 'standby_az2', method: 'rewind', reasons: [], writerTimeline: 2, nodeTimeline: 1, forkLsn: null, discardedBytes: 0, discardedCommits: 0, commandId: null, ms: 5 },
  pause: { cluster: 'orders', paused: true, summary: 'automatic failover of orders paused', changed: true, generation: 4 },
  resume: { cluster: 'orders', paused: false, summary: 'automatic failover of orders is active', changed: true, generation: 5 },
  resolve: { cluster: 'orders', outcome: 'unchanged', writer: 'primary', timeline: 1, generation: 3, reasons: ['nothing to resolve'] },
};

const answer = (value: unknown) => lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(value) });

beforeEach(() => {
  lambda.reset();
  sfn.reset();
  sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ acquired: false, reason: 'the lease is held' }) });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
});

describe('pgfo commands and flags, each generated from the command table (cli/commands.ts)', () => {
  it.each(COMMAND_NAMES)('%s: listed in the usage with every flag; `--help` prints its own usage, exit 0', async (command) => {
    const help = await pgfo(command, '--help');
    expect(help.code).toBe(EXIT.ok);
    expect(help.out).toMatch(new RegExp(`^usage: pgfo \\[global flags\\] ${command} `));
    expect(USAGE).toMatch(new RegExp(`^  ${command} +`, 'm'));
    const unwrapped = help.out.replace(/\s+/g, ' ');
    for (const [name, flag] of [...flagsOf(command), ...Object.entries(GLOBAL_FLAGS)]) {
      expect(help.out).toContain(`--${name}`);
      expect(unwrapped).toContain(flag.description);
      expect(USAGE).toContain(`--${name}`);
    }
    expect(lambda.calls()).toHaveLength(0);
  });

  it.each(COMMAND_NAMES)('%s: every flag reaches the request the deployed function receives', async (command) => {
    answer(ANSWERS[command]);
    const given = flagsOf(command).map(([name, flag]) => ({ field: fieldOf(name, flag), ...sample(name, flag) }));
    const result = await pgfo('--stage', 's1', '--service', 'svc', '--region', 'eu-west-1', command, ...given.flatMap((g) => g.argv));
    expect({ code: result.code, err: result.err }).toEqual({ code: expect.any(Number), err: expect.not.stringContaining('pgfo:') });
    expect([EXIT.ok, EXIT.negative]).toContain(result.code);
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call!.args[0].input.FunctionName).toBe(`svc-s1-${command}`);
    expect(await lambda.call(0).thisValue.config.region()).toBe('eu-west-1');
    const request = JSON.parse(Buffer.from(call!.args[0].input.Payload as Uint8Array).toString('utf8'));
    expect(request).toEqual(Object.fromEntries(given.map((g) => [g.field, g.value])));
  });

  it("matches the README's table of commands (a pipe in a table cell is written \\|)", () => {
    const readme = readFileSync('README.md', 'utf8').replace(/\\\|/g, '|');
    for (const command of COMMAND_NAMES) expect(readme).toContain(`| \`pgfo ${command} ${synopsis(command).join(' ')}\` |`);
  });

  const required = COMMAND_NAMES.flatMap((command) => flagsOf(command).filter(([, f]) => f.kind === 'required').map(([name]) => [command, name] as const));
  it.each(required)('%s: refuses to run without --%s (exit 2, naming it)', async (command, missing) => {
    const others = flagsOf(command).filter(([name, f]) => f.kind === 'required' && name !== missing).flatMap(([name, f]) => sample(name, f).argv);
    const result = await pgfo(command, ...others);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(`pgfo: ${command}: --${missing} is required`);
    expect(lambda.calls()).toHaveLength(0);
  });

  it.each(COMMAND_NAMES)("%s: refuses another command's flag, naming it (exit 2)", async (command) => {
    const foreign = COMMAND_NAMES.flatMap((other) => flagsOf(other)).find(([name]) => !Object.hasOwn(COMMANDS[command].flags, name))!;
    const result = await pgfo(command, ...sample(...foreign).argv);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(`pgfo: ${command}: --${foreign[0]}: not a flag of ${command}`);
  });
});

describe('pgfo exit codes and JSON errors', () => {
  it('plan exits 0 when a failover would go ahead and 1 when it would not', async () => {
    answer(aPlan(true));
    expect((await pgfo('plan', '--cluster', 'orders')).code).toBe(EXIT.ok);
    answer(aPlan(false));
    expect((await pgfo('plan', '--cluster', 'orders')).code).toBe(EXIT.negative);
  });

  it('with --json, a refused command line is a JSON error on standard output, exit 2', async () => {
    for (const argv of [['resolve', '--cluster', 'orders', '--reason', 'r'], ['status', '--bogus'], ['reboot']]) {
      const result = await pgfo('--json', ...argv);
      expect({ code: result.code, err: result.err }).toEqual({ code: EXIT.usage, err: '' });
      expect(JSON.parse(result.out)).toEqual({ error: { name: 'UsageError', message: expect.any(String) } });
    }
    expect(JSON.parse((await pgfo('--json', 'resolve', '--cluster', 'orders', '--reason', 'r')).out).error.message).toBe('resolve: --writer is required');
  });

  it('with --json, a request the function refuses is exit 2 and a failure exit 3, both JSON on standard output', async () => {
    lambda.on(InvokeCommand).resolves({ FunctionError: 'Unhandled', Payload: payload({ errorType: 'InvalidInputError', errorMessage: 'invalid request: to: no node "nope"' }) });
    const invalid = await pgfo('--json', 'switchover', '--cluster', 'orders', '--to', 'nope');
    expect(invalid.code).toBe(EXIT.usage);
    expect(JSON.parse(invalid.out)).toEqual({ error: { name: 'InvalidInputError', message: 'invalid request: to: no node "nope"' } });
    lambda.on(InvokeCommand).resolves({ FunctionError: 'Unhandled', Payload: payload({ errorType: 'DatabaseUnreachableError', errorMessage: 'cannot connect to 10.1.1.10:5432' }) });
    const failed = await pgfo('--json', 'status');
    expect(failed.code).toBe(EXIT.error);
    expect(JSON.parse(failed.out)).toEqual({ error: { name: 'DatabaseUnreachableError', message: 'cannot connect to 10.1.1.10:5432' } });
  });

  it('without --json, errors go to standard error and standard output stays empty', async () => {
    const result = await pgfo('resolve', '--cluster', 'orders', '--writer', 'primary');
    expect({ code: result.code, out: result.out }).toEqual({ code: EXIT.usage, out: '' });
    expect(result.err).toContain('pgfo: resolve: --reason is required\nusage: pgfo [global flags] resolve --cluster C --writer N --reason TEXT [--by NAME]');
  });
});
