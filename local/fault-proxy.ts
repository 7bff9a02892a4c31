import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { freePort } from './free-port';
import { Route53Propagation } from './route53-propagation';

/** What a rule sees of an AWS API request. */
export interface AwsRequestInfo {
  service: string;
  region: string;
  /** X-Amz-Target (JSON protocols), Action= (query protocols) or "METHOD path" (REST). */
  operation: string;
}

/** A request as the proxy saw it, with its body (tests search it for what must never be sent). */
export type SeenRequest = AwsRequestInfo & { body: Buffer };

export interface FaultRule {
  match: (info: AwsRequestInfo) => boolean;
  /** HTTP status to answer with (503 is retryable for the SDK), or 'hang' to never answer. */
  status: number | 'hang';
  /** How many matching requests fail; Infinity for "for good". */
  times: number;
}

const describe = (req: IncomingMessage, body: string): AwsRequestInfo => {
  const auth = String(req.headers.authorization ?? '');
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(auth);
  const target = req.headers['x-amz-target'];
  const action = /(?:^|&)Action=([^&]+)/.exec(body)?.[1];
  return {
    region: scope?.[1] ?? '',
    service: scope?.[2] ?? '',
    operation: typeof target === 'string' ? target : (action ?? `${req.method} ${req.url}`),
  };
};

/**
 * An HTTP proxy in front of the AWS emulator that makes chosen calls fail: throttling-like 503s
 * once, a dead regional API for good, or a call that never answers. Point AWS_ENDPOINT_URL (or a
 * per-service AWS_ENDPOINT_URL_*) at `endpoint`; everything not matched is forwarded untouched.
 */
export class FaultProxy {
  private rules: FaultRule[] = [];
  readonly failed: AwsRequestInfo[] = [];
  /** Every request seen, in order (tests prove "no write call" with it). */
  readonly seen: SeenRequest[] = [];
  private readonly hanging = new Set<() => void>();
  /**
   * Route 53 changes answer PENDING to GetChange for this long after they were accepted (0: at
   * once INSYNC, as the emulator does). See route53-propagation.ts for the realistic figure.
   */
  readonly route53 = new Route53Propagation(0);

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(target: string): Promise<FaultProxy> {
    const port = await freePort();
    const upstream = new URL(target);
    let proxy!: FaultProxy;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const info = describe(req, body.toString('utf8'));
        proxy.seen.push({ ...info, body });
        const rule = proxy.rules.find((r) => r.times > 0 && r.match(info));
        if (rule) {
          rule.times -= 1;
          proxy.failed.push(info);
          if (rule.status === 'hang') {
            const end = () => res.destroy();
            proxy.hanging.add(end);
            return;
          }
          res.writeHead(rule.status, { 'content-type': 'text/plain' });
          res.end('injected fault');
          return;
        }
        const forward = request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
          (upstreamRes) => {
            const change = calls.route53Change(info) ? 'change' : calls.route53GetChange(info) ? 'get' : null;
            if (!change || proxy.route53.pendingMs <= 0) {
              res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
              upstreamRes.pipe(res);
              return;
            }
            // Route 53's propagation, which the emulator does not model: read the answer, adjust it.
            const parts: Buffer[] = [];
            upstreamRes.on('data', (c: Buffer) => parts.push(c));
            upstreamRes.on('end', () => {
              let text = Buffer.concat(parts).toString('utf8');
              if (change === 'change') proxy.route53.noteChange(text, Date.now());
              else text = proxy.route53.rewriteGetChange(text, Date.now());
              const out = Buffer.from(text, 'utf8');
              res.writeHead(upstreamRes.statusCode ?? 502, { ...upstreamRes.headers, 'content-length': String(out.length) });
              res.end(out);
            });
          },
        );
        forward.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        forward.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    proxy = new FaultProxy(server, `http://127.0.0.1:${port}`);
    return proxy;
  }

  /** Adds a rule; returns it so a test can look at how many times it is left to fire. */
  fail(rule: FaultRule): FaultRule {
    const copy = { ...rule };
    this.rules.push(copy);
    return copy;
  }

  clear(): void {
    this.rules = [];
    for (const end of this.hanging) end();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Matchers for the calls the failover makes. */
export const calls = {
  route53Change: (i: AwsRequestInfo) => i.service === 'route53' && /POST .*\/rrset/.test(i.operation),
  route53GetChange: (i: AwsRequestInfo) => i.service === 'route53' && /^GET .*\/change\//.test(i.operation),
  /** Every Route 53 API call (its control plane, in us-east-1). */
  route53Any: (i: AwsRequestInfo) => i.service === 'route53',
  ssmPut: (i: AwsRequestInfo) => i.service === 'ssm' && i.operation === 'AmazonSSM.PutParameter',
  ec2In: (region: string) => (i: AwsRequestInfo) => i.service === 'ec2' && i.region === region,
};
