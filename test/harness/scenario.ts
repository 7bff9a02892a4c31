import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
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
    /** A new incident each call (a later alarm time, so a new execution name). */
    failover: async (): Promise<LocalExecution> => {
      alarmClock += 60000;
      const trigger = await bench.alarm(new Date(alarmClock));
      if (!trigger.started) throw new Error(`failover not started: ${trigger.reason}`);
      return bench.execution(trigger.executionName!);
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
