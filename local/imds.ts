import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { freePort } from './free-port';

/**
 * The instance metadata service a database host asks for its own tags (IMDSv2: PUT a token, then
 * GET with it), modelled on loopback for the local stack, because the emulator has no metadata
 * service. Each instance gets a base URL of its own, `<endpoint>/<region>/<instance-id>`, which is
 * what the host guard takes as PGFO_IMDS_ENDPOINT; tags are read live from the emulator's EC2 API
 * (DescribeTags), so a tag the failover writes is what the guard sees, as on AWS.
 * Paths served: /latest/api/token (PUT), /latest/meta-data/tags/instance (the keys, one a line) and
 * /latest/meta-data/tags/instance/<key> (the value; 404 when absent). A GET without a valid token
 * gets 401, as IMDSv2 answers.
 */
export class LocalImds {
  private readonly tokens = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<LocalImds> {
    const port = await freePort();
    let imds!: LocalImds;
    const server = createServer((req, res) => {
      void imds.answer(req.method ?? 'GET', req.url ?? '/', String(req.headers['x-aws-ec2-metadata-token'] ?? '')).then(
        ({ status, body }) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    imds = new LocalImds(server, `http://127.0.0.1:${port}`);
    return imds;
  }

  /** The metadata endpoint of one instance (the host guard's PGFO_IMDS_ENDPOINT). */
  instanceEndpoint(region: string, instanceId: string): string {
    return `${this.endpoint}/${region}/${instanceId}`;
  }

  private async answer(method: string, url: string, token: string): Promise<{ status: number; body: string }> {
    const match = /^\/([a-z0-9-]+)\/(i-[0-9a-f]+)\/latest\/(.*)$/.exec(url.split('?')[0] ?? '');
    if (!match) return { status: 404, body: 'not found' };
    const [, region, instanceId, path] = match as unknown as [string, string, string, string];
    if (path === 'api/token') {
      if (method !== 'PUT') return { status: 405, body: 'token requests are PUT' };
      const issued = randomBytes(16).toString('hex');
      this.tokens.add(issued);
      return { status: 200, body: issued };
    }
    if (!this.tokens.has(token)) return { status: 401, body: 'unauthorized' };
    const tagPath = /^meta-data\/tags\/instance(?:\/(.+))?$/.exec(path);
    if (!tagPath) return { status: 404, body: 'not found' };
    const tags = await this.tags(region, instanceId);
    const key = tagPath[1] === undefined ? undefined : decodeURIComponent(tagPath[1]);
    if (key === undefined) return { status: 200, body: [...tags.keys()].join('\n') };
    const value = tags.get(key);
    return value === undefined ? { status: 404, body: 'not found' } : { status: 200, body: value };
  }

  private async tags(region: string, instanceId: string): Promise<Map<string, string>> {
    const out = await new EC2Client({ region }).send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId] }] }),
    );
    return new Map((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
