import { resolve } from 'node:path';
import { runPg } from './run-as';

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
  options: { cwd: string; imdsEndpoint: string; waitSeconds?: number; allowUnverified?: boolean },
): Promise<GuardRun> => {
  const { stdout, stderr } = await runPg('bash', [HOST_GUARD_SCRIPT, node.dataDir], {
    cwd: options.cwd,
    env: {
      PGFO_IMDS_ENDPOINT: options.imdsEndpoint,
      PGFO_GUARD_WAIT_SECONDS: String(options.waitSeconds ?? 5),
      ...(options.allowUnverified ? { PGFO_GUARD_ALLOW_UNVERIFIED: '1' } : {}),
    },
    timeoutMs: ((options.waitSeconds ?? 5) + 15) * 1000,
  });
  const output = `${stdout}${stderr}`;
  return { output, madeStandby: /wrote .*standby\.signal/.test(output) };
};
