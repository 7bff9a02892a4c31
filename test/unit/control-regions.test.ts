import { CONFIG_FILE_ENV, EXAMPLE_CONFIG_FILE, loadConfig, parseConfig } from '../../shared/config/load';
import type { FailoverConfig } from '../../shared/config/schema';
import { regionOfFunctionArn, stackRegion, withStackRegion } from '../../shared/config/stack-region';
import { ConfigError } from '../../shared/errors';
import { lambda } from '../../shared/lambda';
import { setLogSink } from '../../shared/log';
import * as z from 'zod';
import { aConfig, configRefusal, withControlRegions } from '../fixtures/config';

const refusal = configRefusal;


describe('where the control plane may run', () => {
  it('accepts the example: two control regions, one outside every node\'s region, sharing the writer-lease store', () => {
    const config = parseConfig(aConfig(), 'x');
    expect(config).toMatchObject({ controlRegions: ['us-west-2', 'us-east-2'], controlRegion: 'us-west-2', witnessRegion: 'us-west-1' });
    expect(config.deployment.writerLease).toEqual({ replicaRegions: ['us-west-2', 'us-east-2'], witnessRegion: 'us-east-1' });
  });

  it('reads the older one-region form (controlRegion alone) as a one-region control plane, and refuses neither', () => {
    const older = aConfig() as Partial<FailoverConfig>;
    delete older.controlRegions;
    older.controlRegion = 'us-east-2';
    expect(parseConfig(older, 'x')).toMatchObject({ controlRegions: ['us-east-2'], controlRegion: 'us-east-2' });
    delete older.controlRegion;
    expect(refusal(older)).toMatch(/controlRegions: not set: name the regions the control plane is deployed in/);
  });

  // The one-region placement rule and its override: deployment-config.test.ts.
  it('accepts a control region in a node\'s region when another control region is outside it', () => {
    const two = withControlRegions('us-east-1', 'us-west-2');
    two.deployment.writerLease = { replicaRegions: ['us-east-1', 'us-west-2'], witnessRegion: 'us-east-2' };
    expect(parseConfig(two, 'x').controlRegions).toEqual(['us-east-1', 'us-west-2']);
  });

  it('refuses a control region listed twice and a stack region that is not one of them', () => {
    expect(refusal(withControlRegions('us-east-2', 'us-east-2'))).toContain('controlRegions: us-east-2 is listed more than once');
    const config = aConfig();
    config.controlRegion = 'us-east-1';
    expect(refusal(config)).toContain('controlRegion: us-east-1 is not one of controlRegions (us-west-2, us-east-2)');
  });

  it('refuses more than one control region without the writer-lease store they decide through', () => {
    const config = aConfig();
    delete config.deployment.writerLease;
    expect(refusal(config)).toMatch(/controlRegions: 2 control regions need deployment\.writerLease: the stacks decide who acts through the failover lease/);
    const one = withControlRegions('us-east-2');
    delete one.deployment.writerLease;
    expect(parseConfig(one, 'x').deployment.writerLease).toBeUndefined();
  });

  it('refuses a writer-lease store without a replica in every control region', () => {
    const config = aConfig();
    config.deployment.writerLease = { replicaRegions: ['us-west-2', 'us-east-1'], witnessRegion: 'us-east-2' };
    const message = refusal(config);
    expect(message).toContain('deployment.writerLease.replicaRegions: must include the control region us-east-2');
    expect(message).not.toContain('us-west-2 (each stack');
  });

  it('refuses a witness in any control region, not only the home one', () => {
    for (const witness of ['us-west-2', 'us-east-2']) {
      const config = aConfig();
      config.witnessRegion = witness;
      expect(refusal(config)).toContain(`witnessRegion: must differ from every control region (${witness} is one)`);
    }
  });
});

describe('the stack region of an invocation', () => {
  const previous = process.env[CONFIG_FILE_ENV];
  let restoreSink: (line: string) => void;
  beforeAll(() => {
    process.env[CONFIG_FILE_ENV] = EXAMPLE_CONFIG_FILE;
    restoreSink = setLogSink(() => undefined);
  });
  afterAll(() => {
    setLogSink(restoreSink);
    if (previous === undefined) delete process.env[CONFIG_FILE_ENV];
    else process.env[CONFIG_FILE_ENV] = previous;
  });

  it('reads the region from a Lambda function ARN, and nothing from anything else', () => {
    expect(regionOfFunctionArn('arn:aws:lambda:us-east-2:123456789012:function:pgfo-prod-startFailover')).toBe('us-east-2');
    for (const other of [undefined, 42, '', 'us-east-2', 'arn:aws:states:us-east-2:123456789012:stateMachine:x', 'arn:aws:lambda::123:function:x']) {
      expect(regionOfFunctionArn(other)).toBeUndefined();
    }
  });

  it('loads the configuration as the home stack outside any invocation, and as the invocation\'s stack inside one', () => {
    expect(stackRegion()).toBeUndefined();
    expect(loadConfig().controlRegion).toBe('us-west-2');
    const east = withStackRegion('us-east-2', loadConfig);
    expect(east).toMatchObject({ controlRegion: 'us-east-2', controlRegions: ['us-west-2', 'us-east-2'] });
    expect(withStackRegion('us-east-2', loadConfig)).toBe(east);
    expect(loadConfig().controlRegion).toBe('us-west-2');
  });

  it('refuses an invocation in a region that is not a control region, naming it', () => {
    expect(() => withStackRegion('eu-west-1', loadConfig)).toThrow(ConfigError);
    expect(() => withStackRegion('eu-west-1', loadConfig)).toThrow(
      `${EXAMPLE_CONFIG_FILE}: this function runs in eu-west-1, which is not one of controlRegions (us-west-2, us-east-2): deploy the stack only to those regions`,
    );
  });

  it('runs a handler as the stack its function ARN names', async () => {
    const seen = lambda('status', async () => loadConfig().controlRegion, { input: z.object({}) });
    const context = (arn?: string) => ({ functionName: 'status', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000, ...(arn ? { invokedFunctionArn: arn } : {}) });
    await expect(seen({}, context('arn:aws:lambda:us-east-2:123456789012:function:pgfo-prod-status') as never)).resolves.toBe('us-east-2');
    await expect(seen({}, context() as never)).resolves.toBe('us-west-2');
  });
});
