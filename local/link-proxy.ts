/**
 * A controllable TCP link for tests: forwards 127.0.0.1:<port> to a target and can add latency,
 * throttle bandwidth, reset connections or black-hole traffic (a network partition).
 */
import net from 'node:net';

type Mode = 'normal' | 'reset' | 'blackhole';
const HIGH_WATER = 256 * 1024; // bytes queued in one direction before the source is paused
const LOW_WATER = 64 * 1024;

/** Token bucket shared by every connection of one direction. */
class Bucket {
  rate: number | null = null;
  private tokens = 0;
  private last = 0;

  get capacity(): number {
    return Math.max(4096, Math.floor((this.rate ?? 0) / 20)); // ≈50 ms burst
  }
  set(rate: number | null): void {
    if (rate !== null && !(rate > 0)) throw new Error(`bandwidth must be > 0 bytes/s or null, got ${rate}`);
    this.rate = rate;
    this.tokens = this.capacity;
    this.last = Date.now();
  }
  /** Bytes that may be sent now (at most `want`), or the ms to wait before asking again. */
  take(want: number): { bytes: number } | { waitMs: number } {
    if (this.rate === null) return { bytes: want };
    const now = Date.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    const need = Math.min(want, this.capacity);
    if (this.tokens < need) return { waitMs: Math.max(1, Math.ceil(((need - this.tokens) * 1000) / this.rate)) };
    const bytes = Math.min(want, Math.floor(this.tokens));
    this.tokens -= bytes;
    return { bytes };
  }
}

/** One direction of one connection: queue with per-chunk due time, drained under delay/bandwidth/backpressure. */
class Pipe {
  private queue: { chunk: Buffer; due: number }[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingDrain = false;
  private pausedByUs = false;
  private srcEnded = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly link: LinkProxy,
    private readonly bucket: Bucket,
    private readonly isBlackholed: () => boolean,
  ) {
    src.on('data', (chunk: Buffer) => this.push(chunk));
    src.on('end', () => {
      this.srcEnded = true;
      this.pump();
    });
  }

  private push(chunk: Buffer): void {
    if (this.isBlackholed()) return; // partitioned: the data is lost
    this.queue.push({ chunk, due: Date.now() + this.link.delayMs });
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER && !this.pausedByUs) {
      this.pausedByUs = true;
      this.src.pause();
    }
    this.pump();
  }

  /** Drops everything queued (black hole) and stops sending. */
  drop(): void {
    this.queue = [];
    this.queued = 0;
    this.stop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Re-evaluates timers after delay/bandwidth changed. */
  kick(): void {
    this.stop();
    this.pump();
  }

  private pump(): void {
    if (this.timer || this.waitingDrain || this.dst.destroyed) return;
    while (this.queue.length > 0 && !this.isBlackholed()) {
      const head = this.queue[0]!;
      const now = Date.now();
      if (head.due > now) return this.schedule(head.due - now);
      const grant = this.bucket.take(head.chunk.length);
      if ('waitMs' in grant) return this.schedule(grant.waitMs);
      const slice = head.chunk.subarray(0, grant.bytes);
      if (grant.bytes === head.chunk.length) this.queue.shift();
      else head.chunk = head.chunk.subarray(grant.bytes);
      this.queued -= slice.length;
      this.link.countForwarded(slice.length);
      const more = this.dst.write(slice);
      if (this.pausedByUs && this.queued < LOW_WATER) {
        this.pausedByUs = false;
        this.src.resume();
      }
      if (!more) {
        this.waitingDrain = true;
        this.dst.once('drain', () => {
          this.waitingDrain = false;
          this.pump();
        });
        return;
      }
    }
    if (this.queue.length === 0 && this.srcEnded && !this.isBlackholed()) this.dst.end();
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }
}

interface Connection {
  client: net.Socket;
  upstream?: net.Socket;
  pipes: Pipe[];
  blackholed: boolean;
}

export interface LinkStats {
  /** connections currently open */
  connections: number;
  /** connections accepted since start */
  totalConnections: number;
  /** bytes written to either side */
  bytesForwarded: number;
}

export class LinkProxy {
  readonly host = '127.0.0.1';
  delayMs = 0;
  private mode: Mode = 'normal';
  private bandwidth: number | null = null;
  private readonly conns = new Set<Connection>();
  private readonly down = new Bucket(); // target -> client
  private readonly up = new Bucket(); // client -> target
  private bytes = 0;
  private total = 0;
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    /** Where the link leads. */
    readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }, options: { listenPort?: number } = {}): Promise<LinkProxy> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as net.AddressInfo).port;
    const link = new LinkProxy(server, { ...target }, port);
    server.on('error', () => undefined);
    server.on('connection', (socket) => link.accept(socket));
    server.unref(); // a test harness must never be what keeps the process alive
    return link;
  }

  setDelay(ms: number): void {
    if (!(ms >= 0)) throw new Error(`delay must be >= 0 ms, got ${ms}`);
    this.delayMs = ms;
    this.kickAll();
  }

  setBandwidth(bytesPerSecond: number | null): void {
    this.bandwidth = bytesPerSecond;
    this.up.set(bytesPerSecond);
    this.down.set(bytesPerSecond);
    this.kickAll();
  }

  /** reset: destroy every connection and refuse new ones; blackhole: keep connections, forward nothing. */
  cut(mode: 'reset' | 'blackhole' = 'reset'): void {
    this.mode = mode;
    for (const c of this.conns) {
      if (mode === 'reset') this.destroy(c, true);
      else {
        c.blackholed = true;
        c.pipes.forEach((p) => p.drop());
      }
    }
  }

  /** Back to normal: no cut, no delay, no throttle. Black-holed connections are dropped so clients reconnect. */
  restore(): void {
    this.mode = 'normal';
    this.delayMs = 0;
    this.setBandwidth(null);
    for (const c of this.conns) if (c.blackholed) this.destroy(c, true);
  }

  /** Forwarding as built: not cut, delayed or throttled. */
  isNormal(): boolean {
    return this.mode === 'normal' && this.delayMs === 0 && this.bandwidth === null;
  }

  stats(): LinkStats {
    return { connections: this.conns.size, totalConnections: this.total, bytesForwarded: this.bytes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.conns) this.destroy(c, false);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** @internal */
  countForwarded(n: number): void {
    this.bytes += n;
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    client.unref();
    if (this.closed || this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    this.total += 1;
    const conn: Connection = { client, pipes: [], blackholed: this.mode === 'blackhole' };
    this.conns.add(conn);
    if (conn.blackholed) {
      // accepted, never forwarded: read and discard until restore() or close()
      client.on('close', () => this.destroy(conn, false));
      client.on('end', () => this.destroy(conn, false));
      client.on('data', () => undefined).resume();
      return;
    }
    const upstream = net.connect({ port: this.target.port, host: this.target.host, allowHalfOpen: true });
    conn.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.unref();
    // A side that closed with an error takes the other down; a clean close (FIN) is forwarded by its Pipe
    // after the queued data, and the connection is forgotten once both sides are closed.
    const onClose = (hadError: boolean): void => {
      if (hadError || (client.closed && upstream.closed)) this.destroy(conn, false);
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
    upstream.once('connect', () => {
      upstream.setNoDelay(true);
      client.setNoDelay(true);
      const blackholed = (): boolean => conn.blackholed;
      conn.pipes.push(new Pipe(client, upstream, this, this.up, blackholed));
      conn.pipes.push(new Pipe(upstream, client, this, this.down, blackholed));
      client.resume();
    });
  }

  private destroy(conn: Connection, reset: boolean): void {
    if (!this.conns.delete(conn)) return;
    conn.pipes.forEach((p) => p.stop());
    for (const s of [conn.client, conn.upstream]) {
      if (!s || s.destroyed) continue;
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  }

  private kickAll(): void {
    for (const c of this.conns) c.pipes.forEach((p) => p.kick());
  }
}
