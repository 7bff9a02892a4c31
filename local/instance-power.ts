import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { LocalStack } from './local-stack';

/**
 * The emulator's EC2 instances are records, not machines: stopping one stops nothing. This links
 * them to the local PostgreSQL nodes the way a real instance is linked to its database: when the
 * emulator reports a node's instance stopping or stopped, that node's PostgreSQL is stopped too
 * (immediately, as power-off would). It only ever stops; it never starts a node.
 */
export class InstancePower {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  readonly poweredOff: string[] = [];

  private constructor(private readonly stack: LocalStack) {}

  static start(stack: LocalStack, intervalMs = 200): InstancePower {
    const power = new InstancePower(stack);
    power.timer = setInterval(() => void power.poll(), intervalMs);
    return power;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const cluster of this.stack.config.clusters) {
        const topology = this.stack.topologies[cluster.name]!;
        for (const region of new Set(cluster.nodes.map((n) => n.region))) {
          const nodes = cluster.nodes.filter((n) => n.region === region);
          const out = await new EC2Client({ region }).send(new DescribeInstancesCommand({ InstanceIds: nodes.map((n) => n.instanceId) }));
          const states = new Map(
            (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i.State?.Name]),
          );
          for (const node of nodes) {
            const state = states.get(node.instanceId);
            if ((state === 'stopping' || state === 'stopped') && topology.isRunning(node.name)) {
              await topology.stop(node.name, 'immediate');
              this.poweredOff.push(`${cluster.name}/${node.name}`);
            }
          }
        }
      }
    } catch {
      /* the emulator may be unreachable on purpose (fault injection); try again next tick */
    } finally {
      this.polling = false;
    }
  }

  /** One more look, awaited (tests call it before asserting on node state). */
  async settle(): Promise<void> {
    while (this.polling) await new Promise((r) => setTimeout(r, 20));
    await this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
