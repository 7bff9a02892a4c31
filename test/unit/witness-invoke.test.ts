import { mockClient } from 'aws-sdk-client-mock';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { askWitness, fenceByWitness } from '../../shared/actions/witness';
import { resetClients } from '../../shared/aws/clients';
import { aConfig } from '../fixtures/config';

const lambda = mockClient(LambdaClient);
const payload = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value))) as never;
const fenceFacts = (overrides: Record<string, unknown>) => ({
  node: 'primary',
  instanceId: 'i-0000000000000001a',
  region: 'us-east-1',
  lastSeenState: null,
  refusal: null,
  unreachable: null,
  tagged: false,
  tagProblem: null,
  waitedMs: 10,
  ...overrides,
});

describe('asking the witness', () => {
  beforeEach(() => {
    lambda.reset();
    resetClients();
  });

  it('invokes the witness function in witnessRegion and returns its facts', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ region: 'us-west-1', node: 'primary' }) });
    await expect(askWitness(aConfig(), { cluster: 'orders', node: 'primary' })).resolves.toEqual({ region: 'us-west-1', node: 'primary' });
    const call = lambda.commandCalls(InvokeCommand)[0]!;
    expect(call.args[0].input).toMatchObject({ FunctionName: 'pgfo-witness-prod-witness', InvocationType: 'RequestResponse' });
    expect(await call.thisValue.config.region()).toBe('us-west-1');
  });

  it('turns a failed function or a failed call into an answer that says why (never a throw)', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorType: 'InvalidInputError', errorMessage: 'node: no node "x"' }) })
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    await expect(askWitness(aConfig(), { cluster: 'orders', node: 'primary' })).resolves.toEqual({
      region: 'us-west-1',
      error: 'pgfo-witness-prod-witness failed: InvalidInputError: node: no node "x"',
    });
    await expect(askWitness(aConfig(), { cluster: 'orders', node: 'primary' })).resolves.toMatchObject({ region: 'us-west-1', error: expect.stringMatching(/TimeoutError: socket hang up/) });
  });

  it('asks nothing without a witnessRegion', async () => {
    const config = aConfig();
    delete config.witnessRegion;
    await expect(askWitness(config, { cluster: 'orders', node: 'primary' })).resolves.toEqual({ region: null, error: 'no witnessRegion is configured' });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('uses the witness\'s fence only when its EC2 API answered it', async () => {
    const config = aConfig();
    const context = { config, cluster: config.clusters[0]! };
    const node = context.cluster.nodes[0]!;
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ Payload: payload({ region: 'us-west-1', node: 'primary', fence: fenceFacts({ lastSeenState: 'stopped', tagged: true }) }) })
      .resolvesOnce({ Payload: payload({ region: 'us-west-1', node: 'primary', fence: fenceFacts({ unreachable: 'connect ECONNRESET' }) }) });
    const fenced = await fenceByWitness(context, node, 'incident-1');
    expect(fenced.facts).toMatchObject({ lastSeenState: 'stopped', tagged: true });
    expect(fenced.note).toBe('the control plane could not reach the EC2 API in us-east-1; the witness in us-west-1 could');
    const sent = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array).toString('utf8')) as { fence: unknown };
    expect(sent.fence).toEqual({ incident: 'incident-1', timeoutSeconds: Math.min(context.cluster.policy.fenceTimeoutSeconds, 100) });

    await expect(fenceByWitness(context, node, 'incident-1')).resolves.toEqual({
      facts: null,
      note: 'the EC2 API in us-east-1 did not answer the witness in us-west-1 either: connect ECONNRESET',
    });
  });
});
