import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ssmClient } from '../shared/aws/clients/ssm';
import { sendCommand, type CommandResult, type CommandRunner } from '../shared/aws/run-command';
import type { FailoverConfig } from '../shared/config/schema';
import { rejoinDocument, renderCommands, type RejoinParameters } from '../shared/infra/rejoin-document';
import { pgBinDir } from './pg-binaries';
import type { Topology } from './topology';

/**
 * What differs between a real database host and a local node: its own paths. A host has them in
 * the document's defaults (Debian's layout) or the node's configuration; a local node has them in a
 * temporary directory, and uses pg_ctl instead of a systemd unit. No secret in it (the password
 * file is named, not read).
 */
export interface LocalHost {
  cwd: string;
  parameters: RejoinParameters;
}

/** Environment variable naming the local stack's hosts file (instance id → LocalHost). */
export const LOCAL_HOSTS_ENV = 'PGFO_LOCAL_HOSTS';

/** Each local node's host parameters, by instance id. */
export const localHosts = (config: FailoverConfig, topologies: Record<string, Topology>): Record<string, LocalHost> =>
  Object.fromEntries(
    config.clusters.flatMap((cluster) => {
      const topology = topologies[cluster.name];
      return cluster.nodes.flatMap((node) => {
        const local = topology?.nodes[node.name];
        if (!topology || !local) return [];
        const parameters: RejoinParameters = {
          DataDir: local.dataDir,
          PgBin: pgBinDir(),
          Service: '',
          LogFile: join(dirname(local.dataDir), 'postgres.log'),
          NodeConn: `host=${topology.socketDir} port=${local.port} user=postgres dbname=postgres`,
          PassFile: topology.passFile,
        };
        return [[node.instanceId, { cwd: topology.dir, parameters }]];
      });
    }),
  );

/**
 * SSM Run Command for the local stack. The emulator records SendCommand but runs nothing, so this
 * sends the command to the emulator (recorded, as on AWS), then runs the very same document
 * (shared/infra/rejoin-document.ts) on the local node of that instance, with that host's own paths.
 * `hosts` defaults to the file the local stack names in PGFO_LOCAL_HOSTS.
 */
export const localCommandRunner =
  (hosts?: Record<string, LocalHost>): CommandRunner =>
  async (target, documentName, parameters, { timeoutSeconds }) => {
    const commandId = await sendCommand(ssmClient(target.region), target, documentName, parameters, timeoutSeconds);
    const known = hosts ?? readHosts();
    const host = known[target.instanceId];
    if (!host) return { commandId, status: 'Undeliverable', stdout: '', stderr: `no local node for instance ${target.instanceId}` };
    const script = renderCommands(rejoinDocument(), { ...parameters, ...host.parameters });
    return runScript(commandId, script, host.cwd, timeoutSeconds);
  };

const readHosts = (): Record<string, LocalHost> => {
  const file = process.env[LOCAL_HOSTS_ENV];
  if (!file) throw new Error(`${LOCAL_HOSTS_ENV} is not set: no local stack to run commands on`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, LocalHost>;
};

/** Runs a rendered document as a shell script, as the SSM agent does (as root here; it drops to postgres itself). */
const runScript = (commandId: string, script: string, cwd: string, timeoutSeconds: number) =>
  new Promise<CommandResult>((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status = signal === 'SIGKILL' ? 'TimedOut' : code === 0 ? 'Success' : 'Failed';
      resolve({ commandId, status, stdout, stderr });
    });
  });
