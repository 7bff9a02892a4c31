import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
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
  /**
   * HTTP status to answer with (503 is retryable for the SDK), 'hang' to never answer, or 'reset'
   * to drop the connection without an answer (the SDK sees ECONNRESET: an unreachable API).
   */
  status: number | 'hang' | 'reset';
  /** How many matching requests fail; Infinity for "for good". */
  times: number;
  /**
   * An EC2 (query protocol) error to answer with, e.g. `UnauthorizedOperation` with status 403:
   * the API answers and refuses, as an IAM condition, an SCP or a throttle would.
   */
  ec2Error?: { code: string; message: string };
}

/**
 * Rewrites a forwarded response's body (or returns undefined to leave it alone): where the
 * emulator cannot show what AWS would, the local stack models it here (see InstancePower).
 */
export type ResponseView = (request: SeenRequest, body: string) => string | undefined;

const ec2ErrorBody = (error: { code: string; message: string }) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${error.code}</Code><Message>${error.message}</Message></Error></Errors><RequestID>injected-fault</RequestID></Response>`;

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
  private views: ResponseView[] = [];
  readonly failed: AwsRequestInfo[] = [];
  /** Every request seen, in order (tests prove "no write call" with it). */
  readonly seen: SeenRequest[] = [];
  private readonly hanging = new Set<() => void>();
  /**
   * Route 53 changes answer PENDING to GetChange for this long after they were accepted (0: at
   * once INSYNC, as the emulator does). See route53-propagation.ts for the realistic figure.
   */
  readonly route53 = new Route53Propagation(0);
  /**
   * The region whose table every DynamoDB call reaches, whatever region it was signed for (null: the
   * region it was signed for). The emulator has no global tables: the writer-lease store, one table
   * with a replica in each control region, is one copy in the home region (local/seed.ts), which the
   * stack of every control region reads and writes as it would its own region's replica.
   */
  globalTableRegion: string | null = null;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  /**
   * `forwardHeaders`: the headers a forwarded request carries upstream (default: as received), for
   * a proxy that stands for a path the emulator cannot model (local/store-network.ts).
   */
  static async start(target: string, options: { forwardHeaders?: (info: AwsRequestInfo, headers: IncomingHttpHeaders) => IncomingHttpHeaders } = {}): Promise<FaultProxy> {
    const port = await freePort();
    const upstream = new URL(target);
    let proxy!: FaultProxy;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const info = describe(req, body.toString('utf8'));
        const seen = { ...info, body };
        proxy.seen.push(seen);
        const rule = proxy.rules.find((r) => r.times > 0 && r.match(info));
        if (rule) {
          rule.times -= 1;
          proxy.failed.push(info);
          if (rule.status === 'hang') {
            const end = () => res.destroy();
            proxy.hanging.add(end);
            return;
          }
          if (rule.status === 'reset') {
            req.socket.destroy();
            return;
          }
          if (rule.ec2Error) {
            res.writeHead(rule.status, { 'content-type': 'text/xml' });
            res.end(ec2ErrorBody(rule.ec2Error));
            return;
          }
          res.writeHead(rule.status, { 'content-type': 'text/plain' });
          res.end('injected fault');
          return;
        }
        const home = proxy.globalTableRegion;
        const headers =
          home && info.service === 'dynamodb' && info.region !== home
            ? { ...req.headers, authorization: String(req.headers.authorization).replace(`/${info.region}/dynamodb/`, `/${home}/dynamodb/`) }
            : req.headers;
        const forward = request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: options.forwardHeaders ? options.forwardHeaders(info, headers) : headers },
          (upstreamRes) => {
            const change = calls.route53Change(info) ? 'change' : calls.route53GetChange(info) ? 'get' : null;
            const propagating = change !== null && proxy.route53.pendingMs > 0;
            if (!propagating && proxy.views.length === 0) {
              res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
              upstreamRes.pipe(res);
              return;
            }
            // What the emulator does not model (Route 53's propagation, an instance's stopping
            // phase): read the answer, adjust it.
            const parts: Buffer[] = [];
            upstreamRes.on('data', (c: Buffer) => parts.push(c));
            upstreamRes.on('end', () => {
              let text = Buffer.concat(parts).toString('utf8');
              if (propagating && change === 'change') proxy.route53.noteChange(text, Date.now());
              else if (propagating) text = proxy.route53.rewriteGetChange(text, Date.now());
              for (const view of proxy.views) text = view(seen, text) ?? text;
              const out = Buffer.from(text, 'utf8');
              const headers = { ...upstreamRes.headers, 'content-length': String(out.length) };
              delete headers['transfer-encoding'];
              res.writeHead(upstreamRes.statusCode ?? 502, headers);
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

  /** Adds a response view (kept across `clear`, which only removes fault rules). */
  view(view: ResponseView): void {
    this.views.push(view);
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
  ec2Stop: (region: string) => (i: AwsRequestInfo) => i.service === 'ec2' && i.region === region && i.operation === 'StopInstances',
};
