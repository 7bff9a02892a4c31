import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { localWriterCheck, runHostGuard, type GuardRun } from './host-guard';
import { LOCAL_DEPLOYMENT } from './local-stack';
import { LocalImds } from './imds';
import type { LocalStack } from './local-stack';

export interface Boot {
  cluster: string;
  node: string;
  instanceId: string;
  /** What the host guard said (null: the node has no guard installed). */
  guard: GuardRun | null;
  /** What the control plane's handler returned for the state-change event (null: none was delivered). */
  delivered: unknown;
  error?: string;
}

/**
 * What an EC2 start does on AWS, for the local stack: the emulator's instances are records, so when
 * one goes from stopped to running the matching local node is booted here — the host guard first
 * (host/pgfo-guard.sh, as its systemd drop-in runs it; tags from {@link LocalImds}), then
 * PostgreSQL — and the "EC2 Instance State-change Notification" EventBridge would deliver is handed
 * to the control plane (`deliver`). Only transitions it saw are acted on: a node stopped by a test
 * while its instance kept running (a crash) stays down.
 */
export class InstanceBoot {
  readonly boots: Boot[] = [];
  private readonly lastState = new Map<string, string>();
  private readonly noGuard = new Set<string>();
  private readonly silent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /**
   * Each region's path to the record and lease store, which the guard's writer check reads through
   * (the bench sets it to its StoreNetwork's). @default the process's AWS endpoint
   */
  storeEndpoint: (region: string) => string = () => process.env.AWS_ENDPOINT_URL ?? '';

  private constructor(
    private readonly stack: LocalStack,
    private readonly imds: LocalImds,
    private readonly deliver: ((event: unknown) => Promise<unknown>) | null,
  ) {}

  static async start(stack: LocalStack, deliver: ((event: unknown) => Promise<unknown>) | null, intervalMs = 200): Promise<InstanceBoot> {
    const boot = new InstanceBoot(stack, await LocalImds.start(), deliver);
    await boot.poll(); // the states before anything happened: no transition yet
    boot.timer = setInterval(() => void boot.tick(), intervalMs);
    return boot;
  }

  /** A host without the guard installed (as before this project shipped one): it boots as configured. */
  withoutGuard(node: string): void {
    this.noGuard.add(node);
  }

  /** The node's start event never reaches the control plane (a node region whose events are not forwarded). */
  undelivered(node: string): void {
    this.silent.add(node);
  }

  private tick(): void {
    this.polling ??= this.poll().finally(() => (this.polling = undefined));
  }

  /** Waits for the running look and one more (tests call it before asserting). */
  async settle(): Promise<void> {
    await this.polling;
    await this.poll();
  }

  private async poll(): Promise<void> {
    for (const cluster of this.stack.config.clusters) {
      const topology = this.stack.topologies[cluster.name]!;
      for (const region of new Set(cluster.nodes.map((n) => n.region))) {
        const nodes = cluster.nodes.filter((n) => n.region === region);
        let states: Map<string | undefined, string | undefined>;
        try {
          const out = await new EC2Client({ region }).send(new DescribeInstancesCommand({ InstanceIds: nodes.map((n) => n.instanceId) }));
          states = new Map((out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i.State?.Name]));
        } catch {
          continue; // the emulator may be unreachable on purpose (fault injection)
        }
        for (const node of nodes) {
          const state = states.get(node.instanceId);
          const before = this.lastState.get(node.instanceId);
          if (state) this.lastState.set(node.instanceId, state);
          if (state !== 'running' || before === undefined || before === 'running' || before === 'pending') continue;
          const boot: Boot = { cluster: cluster.name, node: node.name, instanceId: node.instanceId, guard: null, delivered: null };
          this.boots.push(boot);
          try {
            if (!this.noGuard.has(node.name)) {
              boot.guard = await runHostGuard(topology.nodes[node.name]!, {
                cwd: topology.dir,
                imdsEndpoint: this.imds.instanceEndpoint(region, node.instanceId),
                writerCheck: localWriterCheck({ cluster: cluster.name, node: node.name, tableRegion: this.stack.config.controlRegion, table: LOCAL_DEPLOYMENT.leaseTable, storeEndpoint: this.storeEndpoint(region) }),
              });
            }
            await topology.start(node.name);
            if (this.silent.has(node.name)) continue;
            boot.delivered = await this.deliver?.({
              version: '0',
              id: `local-${Date.now()}`,
              'detail-type': 'EC2 Instance State-change Notification',
              source: 'aws.ec2',
              account: '123456789012',
              time: new Date().toISOString(),
              region,
              resources: [`arn:aws:ec2:${region}:123456789012:instance/${node.instanceId}`],
              detail: { 'instance-id': node.instanceId, state: 'running' },
            });
          } catch (error) {
            boot.error = (error as Error).message;
          }
        }
      }
    }
  }

  /** Stops looking (the look in flight finishes): nothing is booted until the stack is torn down. */
  async pause(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  async stop(): Promise<void> {
    await this.pause();
    await this.imds.close();
  }
}
