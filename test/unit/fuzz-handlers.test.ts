import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { Client } from 'pg';
import { failoverTaskHandlers } from '../../functions/failover';
import { handler as startFailover } from '../../functions/failover/start-failover';
import { handler as monitor } from '../../functions/monitor/handler';
import { handler as manualFailover } from '../../functions/operators/failover';
import { handler as history } from '../../functions/operators/history';
import { handler as rejoin } from '../../functions/operators/rejoin';
import { handler as plan } from '../../functions/operators/plan';
import { handler as status } from '../../functions/operators/status';
import { handler as switchover } from '../../functions/operators/switchover';
import { EXAMPLE_CONFIG_FILE } from '../../shared/config/load';
import { InvalidInputError } from '../../shared/errors';
import { executionInputSchema } from '../../shared/workflow/state';
import { setLogSink } from '../../shared/log';
import { hostileString, malformed, namesDefect, withNoise, type Family, type Field, type Malformed, type Path } from '../fixtures/arbitraries';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
const RUNS = 1000;
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const sample = (file: string): unknown => JSON.parse(readFileSync(join('events', file), 'utf8'));

// The outside world: every AWS client this code can build, and the database driver.
const sfn = mockClient(SFNClient);
const dynamodb = mockClient(DynamoDBClient);
const aws = [
  sfn,
  mockClient(CloudWatchClient),
  dynamodb,
  mockClient(EC2Client),
  mockClient(EventBridgeClient),
  mockClient(LambdaClient),
  mockClient(Route53Client),
  mockClient(SSMClient),
];
const awsCalls = () => aws.reduce((n, stub) => n + stub.calls().length, 0);
// The promise forms, which the handlers call (spyOn would type pg's last overload, the callback form).
const pgClient = Client.prototype as unknown as { connect: () => Promise<void>; query: () => Promise<never> };
const connect = jest.spyOn(pgClient, 'connect').mockImplementation(() => Promise.reject(new Error('no database in unit tests')));
const query = jest.spyOn(pgClient, 'query').mockImplementation(() => Promise.reject(new Error('no database in unit tests')));

const environment = { PGFO_CONFIG_FILE: EXAMPLE_CONFIG_FILE, PGFO_STATE_MACHINE_ARN: 'arn:aws:states:us-west-2:123456789012:stateMachine:pgfo-prod-failover' };
const previousEnv = { ...process.env };
let restoreSink: (line: string) => void;
beforeAll(() => {
  Object.assign(process.env, environment);
  restoreSink = setLogSink(() => undefined);
});
afterAll(() => {
  setLogSink(restoreSink);
  process.env = previousEnv;
  aws.forEach((stub) => stub.restore());
  connect.mockRestore();
  query.mockRestore();
});
const forgetCalls = () => {
  aws.forEach((stub) => stub.resetHistory());
  connect.mockClear();
  query.mockClear();
};
beforeEach(() => aws.forEach((stub) => stub.reset()));

/** Invokes a handler and requires a refusal that names the defect, with nothing reached outside. */
const expectRefused = async (handler: Handler, defect: Malformed, topLevel: readonly string[]) => {
  forgetCalls();
  const error = await handler(defect.input, {}).then(
    () => new Error('accepted'),
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  if (!namesDefect(error.message, defect, topLevel)) throw new Error(`"${error.message.slice(0, 300)}" does not name ${defect.path} (${defect.defect})`);
  // The refusal does not echo a huge input back into logs and execution histories.
  expect(error.message.length).toBeLessThan(4000);
  expect(awsCalls()).toBe(0);
  expect(connect).not.toHaveBeenCalled();
  expect(query).not.toHaveBeenCalled();
};

const topLevelOf = (family: Family) => [...new Set(family.fields.filter((f) => f.path.length === 1).map((f) => String(f.path[0])))];

/** Runs RUNS malformed inputs of a family through `handlers`, counting them by defect kind. */
const fuzz = async (family: Family, handlers: Handler[], loose: Path[] = []) => {
  const seen: Record<string, number> = {};
  const noisy =
    loose.length === 0 ? malformed(family) : fc.tuple(malformed(family), withNoise(family, loose)).map(([m, noise]) => ({ ...m, input: noise(m.input) }));
  await fc.assert(
    fc.asyncProperty(noisy, async (defect) => {
      seen[defect.defect] = (seen[defect.defect] ?? 0) + 1;
      for (const handler of handlers) await expectRefused(handler, defect, topLevelOf(family));
    }),
    { numRuns: RUNS },
  );
  return seen;
};

const total = (seen: Record<string, number>) => Object.values(seen).reduce((a, b) => a + b, 0);
const unknownClusters = fc.constantFrom('nope', 'billing', 'Orders', 'orders_');
/** Well-formed names that name nothing configured are refused too (by the lookup, with the field). */
const clusterField = (optional = false): Field => ({ path: ['cluster'], rule: { type: 'string', pattern: NAME }, optional, invalid: unknownClusters });
const toField = (optional = false): Field => ({ path: ['to'], rule: { type: 'string', pattern: NAME }, optional, invalid: fc.constantFrom('nope', 'Primary', 'standby_az3') });

const alarmEvents: Family = {
  base: () => sample('start-failover-alarm.json'),
  fields: [
    { path: ['source'], rule: { type: 'string', oneOf: ['aws.cloudwatch'] } },
    { path: ['detail-type'], rule: { type: 'string', oneOf: ['CloudWatch Alarm State Change'] } },
    { path: ['time'], rule: { type: 'string', max: 64 } },
    { path: ['detail'], rule: { type: 'object' } },
    { path: ['detail', 'alarmName'], rule: { type: 'string', min: 1, max: 255 } },
    { path: ['detail', 'state'], rule: { type: 'object' } },
    { path: ['detail', 'state', 'value'], rule: { type: 'string', oneOf: ['ALARM', 'OK', 'INSUFFICIENT_DATA'] } },
    { path: ['detail', 'state', 'reason'], rule: { type: 'string', max: 4000 }, optional: true },
    { path: ['detail', 'state', 'timestamp'], rule: { type: 'string', min: 1, max: 64 } },
  ],
  strict: [],
};

const monitorRequests: Family = {
  base: () => ({ ...(sample('monitor-quick.json') as object), clusters: ['orders'] }),
  fields: [
    { path: ['samples'], rule: { type: 'number', int: true, min: 1, max: 60 }, optional: true },
    { path: ['intervalMs'], rule: { type: 'number', int: true, min: 0, max: 60000 }, optional: true },
    { path: ['clusters'], rule: { type: 'array', min: 1, max: 100 }, optional: true, invalid: fc.array(unknownClusters, { minLength: 1, maxLength: 3 }) },
    { path: ['clusters', 0], rule: { type: 'string', pattern: NAME } },
  ],
  strict: [[]],
  // The schedule's own event (any other field is EventBridge's) runs the configured sampling.
  accepts: (input) => typeof input === 'object' && input !== null && (input as Record<string, unknown>).source === 'aws.events',
};

const taskState: Family = {
  base: () => ({
    ...(sample('failover-state.json') as object),
    requestedNode: 'standby_az2',
    lease: { acquired: true, generation: 1764633600000 },
    outage: { decision: 'confirmed', attempt: 1, regionHealthy: true, primary: 'primary', reason: 'down', signals: [] },
    candidate: { promote: true, node: 'standby_az2', previousPrimary: 'primary', generation: 1, reasons: [], lag: { bytes: 0, seconds: 0, basis: 'b', referenceLsn: 0 } },
    fence: { node: 'primary', fenced: true, proceed: true, reason: 'stopped' },
    promotion: { node: 'standby_az2', alreadyPrimary: false, promoteMs: 12, lsn: 0 },
    error: { Error: 'PromotionFailedError', Cause: 'x' },
  }),
  fields: [
    clusterField(),
    { path: ['executionName'], rule: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,80}$/ } },
    { path: ['mode'], rule: { type: 'string', oneOf: ['automatic', 'manual'] } },
    { path: ['acceptDataLoss'], rule: { type: 'boolean' } },
    { path: ['requestedNode'], rule: { type: 'string', pattern: NAME }, optional: true },
    { path: ['incident'], rule: { type: 'object' } },
    { path: ['incident', 'alarmName'], rule: { type: 'string', max: 255 } },
    { path: ['incident', 'at'], rule: { type: 'string', max: 64 } },
    { path: ['incident', 'reason'], rule: { type: 'string', max: 2000 } },
    { path: ['policy'], rule: { type: 'object' } },
    { path: ['policy', 'recheckAfterSeconds'], rule: { type: 'number', int: true, min: 0, max: 600 } },
    // Earlier steps' results, as far as later steps act on them.
    { path: ['lease'], rule: { type: 'object' }, optional: true },
    { path: ['lease', 'acquired'], rule: { type: 'boolean' } },
    { path: ['lease', 'generation'], rule: { type: 'number', int: true, min: 0 }, optional: true },
    { path: ['outage'], rule: { type: 'object' }, optional: true },
    { path: ['outage', 'decision'], rule: { type: 'string', oneOf: ['confirmed', 'recheck', 'not-confirmed'] } },
    { path: ['outage', 'attempt'], rule: { type: 'number', int: true, min: 1, max: 1000 } },
    { path: ['outage', 'regionHealthy'], rule: { type: 'boolean' } },
    { path: ['candidate'], rule: { type: 'object' }, optional: true },
    { path: ['candidate', 'promote'], rule: { type: 'boolean' } },
    { path: ['candidate', 'node'], rule: { type: 'string', pattern: NAME }, optional: true },
    { path: ['candidate', 'previousPrimary'], rule: { type: 'string', pattern: NAME } },
    { path: ['candidate', 'generation'], rule: { type: 'number', int: true, min: 1 } },
    { path: ['fence'], rule: { type: 'object' }, optional: true },
    { path: ['fence', 'proceed'], rule: { type: 'boolean' } },
    { path: ['promotion'], rule: { type: 'object' }, optional: true },
    { path: ['promotion', 'node'], rule: { type: 'string', pattern: NAME } },
    { path: ['error'], rule: { type: 'object' }, optional: true },
    { path: ['error', 'Error'], rule: { type: 'string', max: 1000 } },
    { path: ['error', 'Cause'], rule: { type: 'string', max: 262144 } },
  ],
  strict: [['incident'], ['policy']],
};

const operatorFamilies: Array<{ name: string; handler: Handler; family: Family }> = [
  {
    name: 'switchover',
    handler: switchover as unknown as Handler,
    family: {
      base: () => sample('switchover.json'),
      fields: [
        clusterField(),
        toField(),
        { path: ['catchUpTimeoutSeconds'], rule: { type: 'number', int: true, min: 1, max: 600 }, optional: true },
      ],
      strict: [[]],
    },
  },
  {
    name: 'failover',
    handler: manualFailover as unknown as Handler,
    family: {
      base: () => ({ ...(sample('failover-manual.json') as object), to: 'standby_az2' }),
      fields: [
        clusterField(),
        toField(true),
        { path: ['acceptDataLoss'], rule: { type: 'boolean' }, optional: true },
        { path: ['reason'], rule: { type: 'string', max: 500 }, optional: true },
      ],
      strict: [[]],
    },
  },
  {
    name: 'plan',
    handler: plan as unknown as Handler,
    family: {
      base: () => ({ ...(sample('plan.json') as object), to: 'standby_dr' }),
      fields: [clusterField(), toField(true)],
      strict: [[]],
    },
  },
  {
    name: 'status',
    handler: status as unknown as Handler,
    family: { base: () => ({ cluster: 'orders' }), fields: [clusterField(true)], strict: [[]] },
  },
  {
    name: 'history',
    handler: history as unknown as Handler,
    family: {
      base: () => sample('history.json'),
      fields: [
        clusterField(true),
        { path: ['limit'], rule: { type: 'number', int: true, min: 1, max: 100 }, optional: true },
      ],
      strict: [[]],
    },
  },
  {
    name: 'rejoin',
    handler: rejoin as unknown as Handler,
    family: {
      base: () => sample('rejoin.json'),
      fields: [
        clusterField(),
        { path: ['node'], rule: { type: 'string', pattern: NAME } },
        { path: ['dryRun'], rule: { type: 'boolean' }, optional: true },
        { path: ['mode'], rule: { type: 'string', oneOf: ['auto', 'rewind', 'basebackup'] }, optional: true },
      ],
      strict: [[]],
    },
  },
];

describe('hostile and malformed input: every handler refuses it by name, before any AWS call or SQL', () => {
  it(`alarm events (${RUNS} malformed, with hostile extra fields)`, async () => {
    const seen = await fuzz(alarmEvents, [startFailover as unknown as Handler], [[], ['detail'], ['detail', 'state']]);
    expect(total(seen)).toBe(RUNS);
    expect(Object.keys(seen).sort()).toEqual(['missing', 'not an object', 'refused value']);
  });

  it(`monitor requests (${RUNS} malformed)`, async () => {
    const seen = await fuzz(monitorRequests, [monitor as unknown as Handler]);
    expect(total(seen)).toBe(RUNS);
    expect(Object.keys(seen).sort()).toEqual(['missing', 'not an object', 'refused value', 'unknown key']);
  });

  it(`failover task states (${RUNS} malformed, each refused by all ${Object.keys(failoverTaskHandlers).length} steps)`, async () => {
    const steps = Object.values(failoverTaskHandlers) as unknown as Handler[];
    const seen = await fuzz(taskState, steps, [[], ['outage'], ['candidate'], ['promotion']]);
    expect(total(seen)).toBe(RUNS);
    expect(Object.keys(seen).sort()).toEqual(['missing', 'not an object', 'refused value', 'unknown key']);
  });

  it(`operator requests (${RUNS} malformed across the five operator functions)`, async () => {
    const seen: Record<string, number> = {};
    const arbitrary = fc.constantFrom(...operatorFamilies).chain(({ name, handler, family }) => malformed(family).map((defect) => ({ name, handler, family, defect })));
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ name, handler, family, defect }) => {
        seen[name] = (seen[name] ?? 0) + 1;
        await expectRefused(handler, defect, topLevelOf(family));
      }),
      { numRuns: RUNS },
    );
    expect(total(seen)).toBe(RUNS);
    expect(Object.keys(seen).sort()).toEqual(['failover', 'history', 'plan', 'rejoin', 'status', 'switchover']);
  });
});

describe('valid but hostile values are carried as data, never as instructions', () => {
  const failoverAlarm = 'pgfo-prod-orders-primary-unreachable';
  const alarmEvent = (alarmName: string, timestamp: string, reason: string) => {
    const event = sample('start-failover-alarm.json') as { detail: { alarmName: string; state: Record<string, string> } };
    event.detail.alarmName = alarmName;
    Object.assign(event.detail.state, { timestamp, reason });
    return event;
  };
  const text = (max: number) => hostileString().map((s) => s.slice(0, max));

  it('ignores an alarm of another deployment, whatever its name holds, without any call', async () => {
    await fc.assert(
      fc.asyncProperty(text(255).filter((name) => name.length > 0 && name !== failoverAlarm), async (alarmName) => {
        forgetCalls();
        const out = (await (startFailover as unknown as Handler)(alarmEvent(alarmName, '2026-11-26T12:00:40.123+0000', 'r'), {})) as { started: boolean };
        expect(out.started).toBe(false);
        expect(awsCalls()).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('starts the failover of a real alarm with a sanitised execution name and an input every step accepts', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
    await fc.assert(
      fc.asyncProperty(text(64).filter((t) => t.length > 0), text(4000), async (timestamp, reason) => {
        forgetCalls();
        await (startFailover as unknown as Handler)(alarmEvent(failoverAlarm, timestamp, reason), {});
        const calls = sfn.commandCalls(StartExecutionCommand);
        expect(calls).toHaveLength(1);
        const { name, input } = calls[0]!.args[0].input;
        expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        expect(executionInputSchema.safeParse(JSON.parse(input!)).success).toBe(true);
        // Two control regions: the trigger reads the cluster record (is this stack the arbiter?), then starts.
        expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
        expect(awsCalls()).toBe(2);
      }),
      { numRuns: 200 },
    );
  });

  it("starts an operator's failover whose reason holds quotes, NUL bytes or SQL, as an input every step accepts", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
    await fc.assert(
      fc.asyncProperty(text(500), async (reason) => {
        forgetCalls();
        await (manualFailover as unknown as Handler)({ cluster: 'orders', reason }, {});
        const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
        expect(executionInputSchema.parse(input).incident.reason).toBe(reason);
        expect(connect).not.toHaveBeenCalled();
      }),
      { numRuns: 200 },
    );
  });
});

describe('SQL text', () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
    });

  it('is constant: every query() runs a literal or a *_SQL constant, values go in as $n parameters', () => {
    const calls: string[] = [];
    for (const file of [...sources('shared'), ...sources('functions')]) {
      const code = readFileSync(file, 'utf8');
      const constants = new Map([...code.matchAll(/const (\w+_SQL) = `([^`]*)`/g)].map((m) => [m[1]!, m[2]!]));
      for (const [name, sql] of constants) expect(`${file} ${name}: ${sql.includes('${') ? 'interpolated' : 'constant'}`).toBe(`${file} ${name}: constant`);
      for (const match of code.matchAll(/\.query(?:<[^>]*>)?\((?=\s*([\s\S]{0,2000}))/g)) {
        const argument = match[1]!;
        const literal = /^(`(?:[^`$]|\$(?!\{))*`|'[^']*'|"[^"]*")\s*[,)]/.test(argument);
        const constant = /^(\w+_SQL)\s*[,)]/.exec(argument)?.[1];
        const choice = /^\w+\s*\?\s*'[^']*'\s*:\s*'[^']*'\s*\)/.test(argument);
        // Utility statements (ALTER SYSTEM) take no $n parameters: a constant statement from a *_SQL
        // table and the value quoted by the driver's escapeLiteral, nothing else.
        const table = /^(\w+_SQL)\[\w+\]\s*\+\s*client\.escapeLiteral\(\w+\)\s*\)/.exec(argument)?.[1];
        const escaped = table !== undefined && new RegExp(`const ${table} = \\{[^}\`$]*\\} as const`).test(code);
        calls.push(`${file}: ${literal || choice || escaped || (constant !== undefined && constants.has(constant)) ? 'constant' : argument.slice(0, 60)}`);
      }
    }
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.filter((c) => !c.endsWith(': constant'))).toEqual([]);
  });
});
