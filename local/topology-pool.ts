import type { Login, Topology } from './topology';

/** What a local stack builds once and a pool lends again: its topologies and the logins they were built with. */
export interface PooledTopologies {
  topologies: Record<string, Topology>;
  logins: Record<string, { monitor: Login; failover: Login; app: Login }>;
  /** The password behind each credential parameter of the configuration. */
  parameterPasswords: Record<string, string>;
}

/**
 * Topologies kept between the tests of a suite: a stack that asks for the same shape again gets the
 * idle one back, restored to the snapshot taken when it was built ({@link Topology.restore}, which
 * refuses a reset that left anything behind), instead of a new `initdb` and base backups.
 */
export class TopologyPool {
  private readonly idle = new Map<string, PooledTopologies>();

  /** The idle topologies of `shape` restored, or new ones from `build`, snapshotted for the next time. */
  async acquire(shape: string, build: () => Promise<PooledTopologies>): Promise<PooledTopologies & { reused: boolean }> {
    const idle = this.idle.get(shape);
    this.idle.delete(shape);
    const entry = idle ?? (await build());
    try {
      const all = Object.values(entry.topologies);
      await Promise.all(all.map((t) => (idle ? t.restore() : t.snapshot())));
    } catch (error) {
      await tearDown(entry);
      throw error;
    }
    return { ...entry, reused: idle !== undefined };
  }

  /** Back to the pool, as the test left it (the next acquire restores it); a second one of a shape is torn down. */
  async release(shape: string, entry: PooledTopologies): Promise<void> {
    if (this.idle.has(shape)) return tearDown(entry);
    this.idle.set(shape, entry);
  }

  /** Tears down every idle topology (a suite's afterAll). */
  async drain(): Promise<void> {
    const all = [...this.idle.values()];
    this.idle.clear();
    await Promise.all(all.map(tearDown));
  }
}

const tearDown = async (entry: PooledTopologies): Promise<void> => {
  await Promise.all(Object.values(entry.topologies).map((t) => t.teardown()));
};
