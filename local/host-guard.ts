import { resolve } from 'node:path';
import { runPg } from './run-as';

/** The writer check the guard runs (host: `node pgfo-agent.cjs check`), and its environment. */
export interface WriterCheck {
  command: string;
  env: Record<string, string>;
}

/**
 * The agent's `check` for one local node, as the host runs it: the same source (cli/agent.ts, run
 * through tsx instead of the bundle), the record and lease read through `storeEndpoint` (the node's
 * region's path to the store).
 */
export const localWriterCheck = (facts: { cluster: string; node: string; tableRegion: string; table: string; storeEndpoint: string }): WriterCheck => ({
  command: `${process.execPath} --import ${require.resolve('tsx')} ${resolve(__dirname, '..', 'cli', 'agent.ts')} check`,
  env: {
    PGFO_CLUSTER: facts.cluster,
    PGFO_NODE: facts.node,
    PGFO_LEASE_TABLE: facts.table,
    // The emulator's one copy of the table (see local/store-network.ts); the path is storeEndpoint's.
    PGFO_STORE_REGIONS: facts.tableRegion,
    AWS_ENDPOINT_URL_DYNAMODB: facts.storeEndpoint,
  },
});

/** The host guard as shipped (host/pgfo-guard.sh): the local stack runs this very file. */
export const HOST_GUARD_SCRIPT = resolve(__dirname, '..', 'host', 'pgfo-guard.sh');

export interface GuardRun {
  /** What the guard printed (it explains every decision on standard error). */
  output: string;
  /** The guard made the node start in recovery (standby.signal written this time). */
  madeStandby: boolean;
}

/**
 * Runs the host guard for one local node, as the systemd drop-in does before PostgreSQL starts:
 * as the user that runs PostgreSQL, against the node's data directory, with the instance's
 * metadata endpoint (on the local stack, {@link LocalImds}).
 */
export const runHostGuard = async (
  node: { dataDir: string },
  options: { cwd: string; imdsEndpoint: string; waitSeconds?: number; allowUnverified?: boolean; writerCheck?: WriterCheck },
): Promise<GuardRun> => {
  const { stdout, stderr } = await runPg('bash', [HOST_GUARD_SCRIPT, node.dataDir], {
    cwd: options.cwd,
    env: {
      PGFO_IMDS_ENDPOINT: options.imdsEndpoint,
      PGFO_GUARD_WAIT_SECONDS: String(options.waitSeconds ?? 5),
      ...(options.allowUnverified ? { PGFO_GUARD_ALLOW_UNVERIFIED: '1' } : {}),
      ...(options.writerCheck ? { PGFO_WRITER_CHECK: options.writerCheck.command, ...options.writerCheck.env } : {}),
    },
    timeoutMs: ((options.waitSeconds ?? 5) + 40) * 1000,
  });
  const output = `${stdout}${stderr}`;
  return { output, madeStandby: /wrote .*standby\.signal/.test(output) };
};
