import { createServer, type Server, type Socket } from 'node:net';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientTimeouts } from '../../shared/aws/clients';
import { classifyAwsError } from '../../shared/aws/errors';
import { AwsTransientError } from '../../shared/errors';

/**
 * An AWS endpoint that accepts the connection and never answers (a black-holed regional API behind a
 * proxy that is up): the shared client settings must turn the request timeout into an error the
 * failover can classify, not a call that waits until the Lambda's own timeout.
 */
describe('the shared AWS client timeouts', () => {
  let server: Server;
  let port = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails a request that gets no answer once the request timeout passes', async () => {
    const client = new SSMClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      // The shared settings with a shorter request timeout, so that the test does not wait 10 s.
      requestHandler: { ...clientTimeouts.requestHandler, requestTimeout: 400 },
    });
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      client.send(new GetParameterCommand({ Name: '/pgfo/test' })).then(
        () => ({ settled: 'answered' as const }),
        (error: unknown) => ({ settled: 'failed' as const, error }),
      ),
      new Promise<{ settled: 'still waiting' }>((resolve) => {
        timer = setTimeout(() => resolve({ settled: 'still waiting' }), 5000);
      }),
    ]);
    clearTimeout(timer);
    client.destroy();
    expect(outcome.settled).toBe('failed');
    const error = (outcome as { error: Error }).error;
    expect(error.name).toBe('TimeoutError');
    const classified = classifyAwsError(error, 'ssm:GetParameter /pgfo/test');
    expect(classified).toBeInstanceOf(AwsTransientError);
    expect(classified.message).toContain('ssm:GetParameter');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
