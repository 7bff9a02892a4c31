import { resetEmulator } from '../../local/emulator';
import type { LocalStackOptions } from '../../local/local-stack';
import type { FailoverConfig } from '../../shared/config/schema';
import { startFailoverBench, type FailoverBench } from '../../local/failover-bench';
import type { LocalExecution } from '../../local/state-machine';
import { TopologyPool } from '../../local/topology-pool';
import { scenario } from './scenario';

export type Scenario = ReturnType<typeof scenario>;

export interface BenchOptions {
  mutate?: (config: FailoverConfig) => void;
  stoppingMs?: number;
  beforeTask?: (state: string) => Promise<void>;
  passwords?: LocalStackOptions['passwords'];
  /** Run the writer-lease agent beside every node (see startFailoverBench). @default false */
  agents?: boolean;
  /** Start the split-brain probe with the bench. @default true (a test that starts it later says false) */
  probe?: boolean;
}

/**
 * The one fixture of the suites on the real topology: a failover bench (stack, fault proxy,
 * instance power and boot, the deployed state machine), the scenario helpers, the split-brain probe
 * and the teardown. The suite's topology is built once and reset to its snapshot between tests
 * (TopologyPool: a reset that leaves anything behind fails the test that asked for it); the
 * worker's emulator is reset before every test.
 *
 * `each`: start a bench with these options before every test; without it, tests call `start`.
 */
export const failoverFixture = (each?: BenchOptions) => {
  const pool = new TopologyPool();
  let bench: FailoverBench | undefined;
  let s: Scenario | undefined;
  /** The emulator itself (the bench points AWS_ENDPOINT_URL at its fault proxy). */
  const emulator = () => process.env.AWS_ENDPOINT_URL_EMULATOR!;

  const start = async (options: BenchOptions = {}): Promise<{ bench: FailoverBench; s: Scenario }> => {
    const { probe = true, ...benchOptions } = options;
    bench = await startFailoverBench({ ...benchOptions, pool });
    s = scenario(bench, emulator());
    if (probe) s.startProbe();
    return { bench, s };
  };

  beforeAll(() => {
    process.env.AWS_ENDPOINT_URL_EMULATOR = process.env.AWS_ENDPOINT_URL;
  });
  beforeEach(async () => {
    await resetEmulator(emulator());
    if (each) await start(each);
  });
  afterEach(async () => {
    await s?.stopProbe();
    await bench?.teardown();
    bench = undefined;
    s = undefined;
  });
  afterAll(async () => pool.drain());

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('no bench: call start() first (or give the fixture options for every test)');
    return value;
  };
  return {
    start,
    emulator,
    get bench(): FailoverBench {
      return started(bench);
    },
    get s(): Scenario {
      return started(s);
    },
    /** Never two writers after the fence; the published endpoint never leads to a non-writer after the repoint. */
    expectNoSplitBrain: async (execution: LocalExecution) => {
      const verdict = await started(s).verdict(execution);
      expect(verdict.rounds.length).toBeGreaterThan(0);
      expect(verdict.twoWriters).toEqual([]);
      expect(verdict.publishedToNonWriter).toEqual([]);
      return verdict;
    },
  };
};
