import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { LinkProxy } from '../../local/link-proxy';

/** A local echo server, the far end of every link in these tests. */
async function startEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

interface Client {
  socket: net.Socket;
  received: () => number;
  closed: Promise<void>;
  /** sends payload and resolves when as many bytes came back; rejects after timeoutMs */
  echo: (payload: Buffer | Buffer[], timeoutMs?: number) => Promise<{ ms: number; data: Buffer }>;
}

async function connect(link: LinkProxy): Promise<Client> {
  const socket = net.connect(link.port, link.host);
  const chunks: Buffer[] = [];
  let total = 0;
  let waiter: (() => void) | undefined;
  socket.on('error', () => undefined);
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    total += c.length;
    waiter?.();
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const echo = (payload: Buffer | Buffer[], timeoutMs = 10_000): Promise<{ ms: number; data: Buffer }> => {
    const parts = Array.isArray(payload) ? payload : [payload];
    const length = parts.reduce((n, p) => n + p.length, 0);
    const start = Date.now();
    const target = total + length;
    const from = chunks.length;
    parts.forEach((p) => socket.write(p));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no echo of ${length} bytes within ${timeoutMs} ms`)), timeoutMs);
      waiter = () => {
        if (total < target) return;
        clearTimeout(timer);
        waiter = undefined;
        resolve({ ms: Date.now() - start, data: Buffer.concat(chunks.slice(from)) });
      };
      waiter();
    });
  };
  return { socket, received: () => total, closed, echo };
}

describe('LinkProxy', () => {
  let echoServer: { port: number; close: () => Promise<void> };
  let link: LinkProxy;
  const clients: Client[] = [];

  beforeEach(async () => {
    echoServer = await startEcho();
    link = await LinkProxy.start({ host: '127.0.0.1', port: echoServer.port });
  });

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.socket.destroy());
    await link.close();
    await echoServer.close();
  });

  async function client(): Promise<Client> {
    const c = await connect(link);
    clients.push(c);
    return c;
  }

  it('forwards bytes unchanged in both directions', async () => {
    // Prepare
    const c = await client();
    const payload = randomBytes(100_000);
    // Act
    const { data } = await c.echo(payload);
    // Assess
    expect(data.equals(payload)).toBe(true);
    expect(link.host).toBe('127.0.0.1');
    expect(link.stats()).toMatchObject({ connections: 1, totalConnections: 1, bytesForwarded: 200_000 });
  });

  it('adds the configured one-way delay in each direction', async () => {
    // Prepare
    const c = await client();
    const baseline = await c.echo(Buffer.from('ping'));
    // Act
    link.setDelay(100);
    const delayed = await c.echo(Buffer.from('ping'));
    // Assess: one round trip crosses the link twice
    expect(delayed.ms).toBeGreaterThanOrEqual(190);
    expect(delayed.ms).toBeGreaterThan(baseline.ms + 150);
  });

  it('keeps chunk order under delay', async () => {
    // Prepare
    const c = await client();
    link.setDelay(20);
    const parts = Array.from({ length: 20 }, () => randomBytes(1000));
    // Act
    const { data } = await c.echo(parts);
    // Assess
    expect(data.equals(Buffer.concat(parts))).toBe(true);
  });

  it('throttles bandwidth to the configured rate', async () => {
    // Prepare
    const c = await client();
    const payload = randomBytes(200 * 1024);
    const unthrottled = await c.echo(payload);
    // Act
    link.setBandwidth(100 * 1024);
    const throttled = await c.echo(payload, 20_000);
    link.setBandwidth(null);
    const again = await c.echo(payload);
    // Assess: 200 KB at 100 KB/s ≈ 2 s; unthrottled it is milliseconds
    expect(throttled.data.equals(payload)).toBe(true);
    expect(throttled.ms).toBeGreaterThan(1500);
    expect(throttled.ms).toBeGreaterThan(10 * Math.max(unthrottled.ms, again.ms, 10));
  });

  it('cut("reset") closes current connections and refuses new ones until restore()', async () => {
    // Prepare
    const c = await client();
    await c.echo(Buffer.from('hello'));
    // Act
    link.cut('reset');
    await c.closed;
    const refused = await connect(link).catch(() => undefined);
    const refusedClosed = refused ? await Promise.race([refused.closed.then(() => true), sleep(2000).then(() => false)]) : true;
    link.restore();
    const after = await client();
    // Assess
    expect(c.socket.destroyed).toBe(true);
    expect(refusedClosed).toBe(true);
    expect((await after.echo(Buffer.from('back'))).data.toString()).toBe('back');
  });

  it('cut("blackhole") keeps connections open but forwards nothing; restore() drops them', async () => {
    // Prepare
    const c = await client();
    await c.echo(Buffer.from('hello'));
    const before = c.received();
    // Act
    link.cut('blackhole');
    c.socket.write('lost');
    const fresh = await client();
    fresh.socket.write('also lost');
    await sleep(300);
    const openDuringCut = !c.socket.destroyed && !fresh.socket.destroyed;
    link.restore();
    await Promise.all([c.closed, fresh.closed]);
    const after = await client();
    // Assess
    expect(openDuringCut).toBe(true);
    expect(c.received()).toBe(before);
    expect(fresh.received()).toBe(0);
    expect((await after.echo(Buffer.from('back'))).data.toString()).toBe('back');
  });

  it('close() is idempotent and refuses further connections', async () => {
    // Prepare
    const c = await client();
    // Act
    await link.close();
    await link.close();
    await c.closed;
    const error = await connect(link).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    // Assess
    expect(error?.code).toBe('ECONNREFUSED');
    expect(link.stats().connections).toBe(0);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
