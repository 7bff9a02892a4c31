import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { ssmClient } from '../shared/aws/clients/ssm';
import { sendCommand, type CommandRunner } from '../shared/aws/run-command';
import type { FailoverConfig } from '../shared/config/schema';
import { rejoinDocument, renderCommands, type RejoinParameters } from '../shared/infra/rejoin-document';
import { pgBinDir } from './pg-binaries';
import type { Topology } from './topology';

/**
 * SSM Run Command for the local stack. The emulator records SendCommand but runs nothing, so this
 * sends the command to the emulator (it is recorded, as on AWS) and then runs the very same
 * document (shared/infra/rejoin-document.ts) on the local node the instance id belongs to, with the
 * host-specific parameters a real host would have in its own paths: its data directory, binaries,
 * socket, log and password file, and pg_ctl instead of a systemd unit.
 */
export const localCommandRunner =
  (config: FailoverConfig, topologies: Record<string, Topology>): CommandRunner =>
  async (target, documentName, parameters, { timeoutSeconds }) => {
    const commandId = await sendCommand(ssmClient(target.region), target, documentName, parameters, timeoutSeconds);
    const cluster = config.clusters.find((c) => c.nodes.some((n) => n.instanceId === target.instanceId));
    const node = cluster?.nodes.find((n) => n.instanceId === target.instanceId);
    const topology = cluster ? topologies[cluster.name] : undefined;
    const local = node && topology?.nodes[node.name];
    if (!cluster || !node || !topology || !local) {
      return { commandId, status: 'Undeliverable', stdout: '', stderr: `no local node for instance ${target.instanceId}` };
    }
    const hostParameters: RejoinParameters = {
      DataDir: local.dataDir,
      PgBin: pgBinDir(),
      Service: '',
      LogFile: join(dirname(local.dataDir), 'postgres.log'),
      NodeConn: `host=${topology.socketDir} port=${local.port} user=postgres dbname=postgres`,
      PassFile: topology.passFile,
    };
    const script = renderCommands(rejoinDocument(), { ...parameters, ...hostParameters });
    return runScript(commandId, script, topology.dir, timeoutSeconds);
  };

/** Runs a rendered document as a shell script, as the SSM agent does (as root here; it drops to postgres itself). */
const runScript = (commandId: string, script: string, cwd: string, timeoutSeconds: number) =>
  new Promise<Awaited<ReturnType<CommandRunner>>>((resolve) => {
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
