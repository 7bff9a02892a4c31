import { agentTurn, mayTakeWriterLease, type RecordView, type WriterLease } from '../decisions/writer-lease';

/** The agent's view of the store: the record and the lease, the two writes it makes. Each call throws when the store does not answer. */
export interface AgentStore {
  read(): Promise<{ record: RecordView | null; lease: WriterLease | null }>;
  take(generation: number): Promise<boolean>;
  renew(generation: number): Promise<number | null>;
}

/** The local PostgreSQL: is it running, stop it (it takes no writes), start it again. Each call throws on failure. */
export interface AgentPostgres {
  running(): Promise<boolean>;
  stop(reason: string): Promise<void>;
  start(reason: string): Promise<void>;
}

export interface AgentOptions {
  node: string;
  /** policy.writerLeaseSeconds: the control plane waits this long, on its clock, before promoting past the writer. */
  leaseSeconds: number;
  /** Seconds between two renewals. */
  renewSeconds: number;
  now?: () => number;
  log?: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The agent stops PostgreSQL this long after its last successful renewal was sent: half the lease,
 * so that the server is stopped (a fast shutdown takes seconds) well before the control plane, which
 * starts counting only after it read the last counter, may promote past it (Patroni likewise demotes
 * before its leader key's TTL runs out).
 */
export const stopAfterSeconds = (leaseSeconds: number): number => leaseSeconds / 2;

/**
 * The writer-lease agent beside one PostgreSQL node. Each `turn()`: a node that does not hold the
 * writer role reads the record and takes the lease only when the record names it
 * (`mayTakeWriterLease`); the holder renews, and stops PostgreSQL when it cannot (`agentTurn`),
 * starting it again once a renewal succeeds at the same generation. It renews only while PostgreSQL
 * runs (a crashed server must let the lease lapse). A node that never held the role (a standby) is
 * never touched. Level-triggered: a stop or start that failed is tried again next turn.
 */
export class WriterAgent {
  /** Generation of the lease this node holds; null: it does not hold the writer role. */
  private generation: number | null = null;
  private lastRenewalSentAt: number | null = null;
  private stopped = false;
  private lastReason = '';
  private readonly now: () => number;

  constructor(
    private readonly store: AgentStore,
    private readonly postgres: AgentPostgres,
    private readonly options: AgentOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The holder's state, for tests and logs. */
  get state(): { holding: boolean; generation: number | null; stopped: boolean } {
    return { holding: this.generation !== null, generation: this.generation, stopped: this.stopped };
  }

  async turn(): Promise<string> {
    if (this.generation === null) return this.acquire();
    if (!this.stopped && !(await this.postgres.running().catch(() => false))) {
      // The lease says "this writer is alive": a server that is down (crashed, its host stopping) is
      // not, so the lease is let lapse and the control plane may fail over once it has.
      const reason = 'PostgreSQL is not running (and this agent did not stop it): not renewing the writer lease';
      this.note('warn', reason);
      return reason;
    }
    const sentAt = this.now();
    let attempt: 'renewed' | 'refused' | 'failed';
    let detail = '';
    try {
      attempt = (await this.store.renew(this.generation)) === null ? 'refused' : 'renewed';
    } catch (error) {
      attempt = 'failed';
      detail = `: ${(error as Error).message}`;
    }
    if (attempt === 'renewed') this.lastRenewalSentAt = sentAt;
    const verdict = agentTurn({ attempt, stopped: this.stopped, now: this.now(), lastRenewalSentAt: this.lastRenewalSentAt, stopAfterSeconds: stopAfterSeconds(this.options.leaseSeconds) });
    await this.act(verdict.action, `${verdict.reason}${detail}`);
    if (attempt === 'refused') {
      // Lost for good: the next turns behave as a node without the role (PostgreSQL stays down).
      this.generation = null;
      this.stopped = false;
    }
    return verdict.reason;
  }

  private async acquire(): Promise<string> {
    const sentAt = this.now();
    let verdict;
    try {
      const { record, lease } = await this.store.read();
      verdict = mayTakeWriterLease(this.options.node, record, lease);
      if (verdict.take && !(lease?.node === this.options.node && lease.generation === verdict.generation) && !(await this.store.take(verdict.generation))) {
        verdict = { take: false as const, reason: `${verdict.reason}, but taking the lease was refused (changed meanwhile)` };
      }
    } catch (error) {
      verdict = { take: false as const, reason: `the store could not be read: ${(error as Error).message}` };
    }
    if (verdict.take) {
      this.generation = verdict.generation;
      this.lastRenewalSentAt = sentAt;
    }
    this.note('info', verdict.take ? `holding the writer lease: ${verdict.reason}` : `not the writer: ${verdict.reason}`);
    return verdict.reason;
  }

  private async act(action: 'none' | 'stop' | 'start', reason: string): Promise<void> {
    try {
      if (action === 'stop') {
        this.note('warn', reason);
        await this.postgres.stop(reason);
        this.stopped = true;
      } else if (action === 'start') {
        this.note('info', reason);
        await this.postgres.start(reason);
        this.stopped = false;
      } else {
        this.note('info', reason);
      }
    } catch (error) {
      this.note('warn', `${action} failed (tried again next turn): ${(error as Error).message}`);
    }
  }

  /** Logs a reason when it differs from the last one (a healthy agent logs once, not every turn). */
  private note(level: 'info' | 'warn', reason: string): void {
    const key = reason.replace(/[\d.]+ s/g, '');
    if (key === this.lastReason) return;
    this.lastReason = key;
    this.options.log?.(level, reason, { node: this.options.node, generation: this.generation });
  }

  /** Runs turns every `renewSeconds` until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.now();
      await this.turn();
      const wait = Math.max(0, this.options.renewSeconds * 1000 - (this.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }
}
