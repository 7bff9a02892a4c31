import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { ResponseView, SeenRequest } from './fault-proxy';
import type { LocalStack } from './local-stack';

/**
 * How long a stopped instance stays `stopping` locally, its PostgreSQL still running. AWS documents
 * no bound: a stop (even a force stop) passes through `stopping`, which the EC2 API reference says
 * can appear stuck (StopInstances: "If your instance appears stuck in the stopping state …"); in
 * practice seconds to minutes. The emulator (moto) goes from `running` to `stopped` at once, which
 * would let a fence that trusts `stopping` — or that does not wait for `stopped` — pass unnoticed.
 * 2 s is this stack's choice: long enough that a fence that does not wait for `stopped` promotes
 * while the old writer still runs (the split-brain probe sees it), short enough for the tests.
 */
export const DEFAULT_STOPPING_MS = 2000;

export interface InstancePowerOptions {
  /** The emulator itself (its state is read directly, never through a fault proxy). */
  emulatorEndpoint: string;
  intervalMs?: number;
  /** Length of the `stopping` phase. @default DEFAULT_STOPPING_MS */
  stoppingMs?: number;
}

const STOPPED_ELEMENT = (id: string) =>
  new RegExp(`(<instanceId>${id}</instanceId>(?:(?!<instanceId>)[\\s\\S])*?<instanceState>\\s*<code>)80(</code>\\s*<name>)stopped(</name>)`, 'g');

/**
 * The emulator's EC2 instances are records, not machines: stopping one stops nothing. This links
 * them to the local PostgreSQL nodes the way a real instance is linked to its database, and is the
 * one place where the local stack models what the emulator cannot show of EC2:
 * - when an instance is stopped, its PostgreSQL keeps running for `stoppingMs` (the `stopping`
 *   phase) and is then stopped immediately, as power-off would;
 * - during that phase, EC2 answers seen through the fault proxy (`view`) report the instance
 *   `stopping` (code 64) where the emulator already says `stopped`.
 * It only ever stops; it never starts a node.
 */
export class InstancePower {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  readonly poweredOff: string[] = [];
  /** Instances in their `stopping` phase: since when. */
  private readonly stopping = new Map<string, number>();
  readonly stoppingMs: number;

  private constructor(
    private readonly stack: LocalStack,
    private readonly emulatorEndpoint: string,
    stoppingMs: number,
  ) {
    this.stoppingMs = stoppingMs;
  }

  static start(stack: LocalStack, options: InstancePowerOptions): InstancePower {
    const power = new InstancePower(stack, options.emulatorEndpoint, options.stoppingMs ?? DEFAULT_STOPPING_MS);
    power.timer = setInterval(() => void power.poll(), options.intervalMs ?? 100);
    return power;
  }

  private nodeOf(instanceId: string) {
    for (const cluster of this.stack.config.clusters) {
      const node = cluster.nodes.find((n) => n.instanceId === instanceId);
      if (node) return { cluster, node, topology: this.stack.topologies[cluster.name]! };
    }
    return undefined;
  }

  /** Starts the phase for an instance whose PostgreSQL still runs (once). */
  private beginStopping(instanceId: string, at = Date.now()): void {
    const found = this.nodeOf(instanceId);
    if (found && !this.stopping.has(instanceId) && found.topology.isRunning(found.node.name)) this.stopping.set(instanceId, at);
  }

  /** For the fault proxy: a stop request starts the phase; state reads during it say `stopping`. */
  readonly view: ResponseView = (request: SeenRequest, body: string) => {
    if (request.service !== 'ec2') return undefined;
    const text = request.body.toString('utf8');
    if (request.operation === 'StopInstances' && !/(?:^|&)DryRun=true(?:&|$)/.test(text) && body.includes('<StopInstancesResponse')) {
      for (const match of text.matchAll(/(?:^|&)InstanceId\.\d+=([^&]+)/g)) this.beginStopping(decodeURIComponent(match[1]!));
      return undefined;
    }
    if (request.operation !== 'DescribeInstances' && request.operation !== 'DescribeInstanceStatus') return undefined;
    let out = body;
    for (const id of this.stopping.keys()) out = out.replace(STOPPED_ELEMENT(id), '$164$2stopping$3');
    return out;
  };

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const cluster of this.stack.config.clusters) {
        const topology = this.stack.topologies[cluster.name]!;
        for (const region of new Set(cluster.nodes.map((n) => n.region))) {
          const nodes = cluster.nodes.filter((n) => n.region === region);
          const client = new EC2Client({ region, endpoint: this.emulatorEndpoint, maxAttempts: 1 });
          const out = await client.send(new DescribeInstancesCommand({ InstanceIds: nodes.map((n) => n.instanceId) }));
          const states = new Map((out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i.State?.Name]));
          for (const node of nodes) {
            const state = states.get(node.instanceId);
            if ((state === 'stopping' || state === 'stopped') && topology.isRunning(node.name)) {
              this.beginStopping(node.instanceId);
              if (Date.now() - (this.stopping.get(node.instanceId) ?? Date.now()) >= this.stoppingMs) {
                await topology.stop(node.name, 'immediate');
                this.poweredOff.push(`${cluster.name}/${node.name}`);
              }
            }
            if (!topology.isRunning(node.name)) this.stopping.delete(node.instanceId);
          }
        }
      }
    } catch {
      /* the emulator may be unreachable on purpose (fault injection); try again next tick */
    } finally {
      this.polling = false;
    }
  }

  /** Waits until every stopped instance's PostgreSQL is powered off (tests call it before asserting). */
  async settle(): Promise<void> {
    const deadline = Date.now() + this.stoppingMs + 10_000;
    do {
      while (this.polling) await new Promise((r) => setTimeout(r, 20));
      await this.poll();
      if (this.stopping.size > 0) await new Promise((r) => setTimeout(r, 50));
    } while (this.stopping.size > 0 && Date.now() < deadline);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
