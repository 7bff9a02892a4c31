import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { LinkProxy } from '../../local/link-proxy';
import { localManualFailover } from '../../local/handlers';
import type { Receipt } from '../../shared/decisions/receipt';
import type { LocalExecution } from '../../local/state-machine';
import type { FailoverBench } from '../../local/failover-bench';
import { SplitBrainProbe, splitBrainViolations } from '../../local/split-brain-probe';
import { AckedWriter } from '../../local/workload';

/** Helpers shared by the fault scenarios: nodes, faults, the workload, the probe and the verdicts. */
export const scenario = (bench: FailoverBench, emulator: string) => {
  const cluster = () => bench.stack.cluster();
  const topology = () => bench.stack.topologies[cluster().name]!;
  const node = (name: string) => cluster().nodes.find((n) => n.name === name)!;
  const appTarget = (name: string) => ({ host: node(name).host, port: node(name).port, database: cluster().database, ...bench.stack.logins[cluster().name]!.app });
  let alarmClock = Date.now();
  let probe: SplitBrainProbe | undefined;
  const self = {
    cluster,
    topology,
    node,
    appTarget,
    stopInstances: async (...names: string[]) => {
      for (const name of names) {
        const n = node(name);
        await new EC2Client({ region: n.region, endpoint: emulator }).send(new StopInstancesCommand({ InstanceIds: [n.instanceId] }));
      }
      await bench.power.settle();
    },
    /**
     * A new incident each call (a later alarm time, so a new execution name), raised in the stack of
     * `region` (default: the home region's; the stack in the recorded writer's region is passive).
     */
    failover: async (options: { alarmClears?: boolean; region?: string } = {}): Promise<LocalExecution> => {
      alarmClock += 60000;
      const trigger = await bench.alarm(new Date(alarmClock), undefined, options.region ? { region: options.region } : {});
      if (!trigger.started) throw new Error(`failover not started: ${trigger.reason}`);
      // The monitor sees the primary again and the alarm returns to OK (re-checks stop there).
      if (options.alarmClears) await bench.setAlarm('OK', undefined, options.region);
      return bench.execution(trigger.executionName!);
    },
    /**
     * The primary keeps serving its local clients, but the control plane (through a link that is
     * cut) and every standby (replication refused, WAL senders ended, the DR link cut) lose it.
     */
    isolatePrimary: async (): Promise<LinkProxy> => {
      const primary = node('primary');
      const controlLink = await LinkProxy.start({ host: primary.host, port: primary.port });
      const config = structuredClone(bench.stack.config);
      config.clusters[0]!.nodes.find((n) => n.name === 'primary')!.port = controlLink.port;
      const file = `${bench.stack.configFile}.isolated-${controlLink.port}.json`;
      writeFileSync(file, JSON.stringify(config));
      process.env.PGFO_CONFIG_FILE = file;
      controlLink.cut('reset');
      const hba = join(topology().nodes.primary!.dataDir, 'pg_hba.conf');
      writeFileSync(hba, `host replication all 0.0.0.0/0 reject\n${readFileSync(hba, 'utf8')}`);
      await topology().query('primary', 'SELECT pg_reload_conf()');
      await topology().query('primary', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'walsender'");
      topology().links.standby_dr?.cut('reset');
      return controlLink;
    },
    /** An operator's failover request (the deployed Lambda), run to its end. */
    manualFailover: async (request: Record<string, unknown>): Promise<LocalExecution> => {
      const started = await localManualFailover(bench.machine)({ cluster: cluster().name, ...request });
      return bench.execution(started.executionName);
    },
    startProbe: () => {
      probe = SplitBrainProbe.start(cluster(), bench.stack.logins[cluster().name]!.app, emulator);
      return probe;
    },
    /** Stops the probe and returns its violations after the fence and after the repoint. */
    verdict: async (execution: LocalExecution) => {
      const rounds = (await probe?.stop()) ?? [];
      const end = (state: string) => execution.states.find((s) => s.name === state)?.endMs ?? Number.POSITIVE_INFINITY;
      return { rounds, ...splitBrainViolations(rounds, { fencedAt: end('FencePrimary'), repointedAt: end('RewriteDatabaseUrl') }) };
    },
    /** Stops the probe if a test ended before asking for its verdict. */
    stopProbe: async () => {
      await probe?.stop();
    },
    writer: (name: string, payloadBytes = 500) => new AckedWriter(appTarget(name), payloadBytes),
    receipt: (execution: LocalExecution) => execution.output as Receipt,
  };
  return self;
};
