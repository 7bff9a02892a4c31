import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ec2Client } from '../aws/clients/ec2';
import { eventBridgeClient } from '../aws/clients/eventbridge';
import { FENCED_TAG, instanceTags, stopInstance, tagInstance } from '../aws/ec2';
import type { ClusterContext } from '../config/cluster-context';
import type { NodeConfig } from '../config/schema';
import { decideReturnedNode, type ReturnedNodeVerdict } from '../decisions/returned-node';
import { log } from '../log';
import { observeNodes } from '../actions/topology';
import { sleep } from '../time';
import { EVENT_SOURCE } from '../aws/events';
import { eventBusName, leaseStore } from '../workflow/environment';

export interface ReturnedNodeReceipt {
  kind: 'node-returned';
  cluster: string;
  node: string;
  instanceId: string;
  at: string;
  fencedTag: string | null;
  observed: { inRecovery: boolean; readOnly: boolean } | null;
  otherWriters: string[];
  verdict: ReturnedNodeVerdict;
  /** What the fence-again did (tag, stop), or why it could not. */
  actions: string[];
}

/** EventBridge detail type of the notification (source `pgfo`). */
export const NODE_RETURNED_DETAIL_TYPE = 'PostgreSQL Node Returned';

/**
 * A cluster instance started: wait (bounded) for its PostgreSQL to answer, read its fenced tag and
 * the other writers, decide, and act — fence it again when it would be a second writer (tag first,
 * then force-stop), otherwise record that it needs a rejoin. Every path stores a receipt and sends a
 * notification.
 */
export const handleReturnedNode = async (context: ClusterContext, node: NodeConfig, waitSeconds: number): Promise<ReturnedNodeReceipt> => {
  const { cluster, config } = context;
  const at = new Date().toISOString();
  const ec2 = ec2Client(node.region);
  const tags = await instanceTags(ec2, node.instanceId);
  const fencedTag = tags[FENCED_TAG] ?? null;
  const deadline = Date.now() + waitSeconds * 1000;
  let roles = await observeNodes(context);
  // PostgreSQL starts some seconds after the instance: wait for it, but no longer than the knob.
  while (!roles.find((r) => r.node === node.name)?.reachable && Date.now() < deadline) {
    await sleep(1000);
    roles = await observeNodes(context);
  }
  const self = roles.find((r) => r.node === node.name);
  const observed = self?.reachable && self.inRecovery !== null && self.readOnly !== null ? { inRecovery: self.inRecovery, readOnly: self.readOnly } : null;
  const otherWriters = roles.filter((r) => r.reachable && r.inRecovery === false && r.readOnly === false && r.node !== node.name).map((r) => r.node);
  const verdict = decideReturnedNode({ node: node.name, fencedTag, observed, otherWriters });
  const actions: string[] = [];
  if (verdict.action === 'fence-again') {
    try {
      await tagInstance(ec2, node.instanceId, FENCED_TAG, fencedTag ?? `returned-writable@${at}`);
      actions.push(`tagged ${FENCED_TAG}`);
      actions.push(`stop requested: ${await stopInstance(ec2, node.instanceId)}`);
    } catch (error) {
      actions.push(`could not fence ${node.name}: ${(error as Error).message}`);
    }
  }
  const receipt: ReturnedNodeReceipt = { kind: 'node-returned', cluster: cluster.name, node: node.name, instanceId: node.instanceId, at, fencedTag, observed, otherWriters, verdict, actions };
  (verdict.action === 'none' ? log.info : log.warn)('node returned', { cluster: cluster.name, node: node.name, action: verdict.action, reason: verdict.reason, actions });
  const store = leaseStore(config);
  await Promise.all([
    store.recordReceipt(cluster.name, `returned-${node.name}`, at, { ...receipt, from: node.name, to: null, outcome: verdict.action, reasons: [verdict.reason, ...actions] }),
    eventBridgeClient(config.controlRegion).send(
      new PutEventsCommand({ Entries: [{ Source: EVENT_SOURCE, DetailType: NODE_RETURNED_DETAIL_TYPE, Detail: JSON.stringify(receipt), EventBusName: eventBusName() }] }),
    ),
  ]).catch((error) => log.error('node-returned receipt or notification failed', { cluster: cluster.name, error }));
  return receipt;
};
