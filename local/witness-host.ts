import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { EC2Client } from '@aws-sdk/client-ec2';
import { handlerOf } from '../functions/failover/witness';
import { clientTimeouts } from '../shared/aws/clients';
import { clusterNamed } from '../shared/config/cluster-context';
import { loadConfigFile } from '../shared/config/load';
import { FaultProxy, type ResponseView } from './fault-proxy';
import { freePort } from './free-port';
import type { LocalStack } from './local-stack';
import { LOCAL_DEPLOYMENT } from './local-stack';
import { lambdaContext, type LocalHandler } from './state-machine';

/**
 * The witness of the local stack, run as Lambda runs it in witnessRegion, on a network path of its own.
 *
 * Why its own fault proxy: the control plane's proxy (FaultProxy) sees the region a call is signed
 * for, which is the TARGET's region; it cannot tell who calls. A partition between the control
 * region and the primary's must cut the control plane's EC2 calls into the primary's region and
 * not the witness's. So the witness's EC2 clients go through a second FaultProxy in front of the
 * same emulator: a rule there is a fault on the witness's path, a rule on the control plane's proxy
 * one on the control plane's. Its database path: the configuration file the stack wrote (the nodes'
 * own addresses), never the file a scenario swaps in to cut the control plane's paths.
 *
 * How it is invoked: the control plane calls Lambda Invoke (the deployed code path, unchanged)
 * with AWS_ENDPOINT_URL_LAMBDA pointing here; this server speaks that one operation (a function
 * error comes back as X-Amz-Function-Error, as Lambda answers). `cut` makes the witness unreachable.
 */
export class LocalWitness {
  private mode: 'normal' | 'reset' = 'normal';
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    /** The witness's own path to the AWS APIs. */
    readonly faults: FaultProxy,
    readonly region: string,
  ) {}

  static async start(stack: LocalStack, options: { emulator: string; view?: ResponseView }): Promise<LocalWitness> {
    const faults = await FaultProxy.start(options.emulator);
    if (options.view) faults.view(options.view);
    const region = stack.config.witnessRegion ?? 'us-east-2';
    const config = loadConfigFile(stack.configFile);
    const clients = new Map<string, EC2Client>();
    const handler = handlerOf({
      region,
      ec2: (r) => clients.get(r) ?? clients.set(r, new EC2Client({ region: r, endpoint: faults.endpoint, maxAttempts: 1, ...clientTimeouts })).get(r)!,
      context: (name) => ({ config, cluster: clusterNamed(config, name) }),
    }) as unknown as LocalHandler;
    const port = await freePort();
    let witness!: LocalWitness;
    const server = createServer((req, res) => {
      if (witness.mode === 'reset') {
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const name = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '')?.[1];
        if (req.method !== 'POST' || decodeURIComponent(name ?? '') !== LOCAL_DEPLOYMENT.witnessFunction) {
          res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
          res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name ?? req.url}` }));
          return;
        }
        handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'), lambdaContext('witness')).then(
          (result) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(result));
          },
          (error: Error) => {
            res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
            res.end(JSON.stringify({ errorType: error.name, errorMessage: error.message }));
          },
        );
      });
    });
    server.on('connection', (socket) => {
      witness.sockets.add(socket);
      socket.on('close', () => witness.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    witness = new LocalWitness(server, `http://127.0.0.1:${port}`, faults, region);
    return witness;
  }

  /** What the control plane's environment needs to invoke this witness. */
  get env(): Record<string, string> {
    return { AWS_ENDPOINT_URL_LAMBDA: this.endpoint, PGFO_WITNESS_FUNCTION: LOCAL_DEPLOYMENT.witnessFunction };
  }

  /** The witness cannot be reached (every connection reset) until `restore`. */
  cut(): void {
    this.mode = 'reset';
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.mode = 'normal';
    this.faults.clear();
  }

  async close(): Promise<void> {
    this.cut();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.faults.close();
  }
}
