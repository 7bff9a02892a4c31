import * as z from 'zod';
import { clusterContext } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { handleReturnedNode, type ReturnedNodeReceipt } from '../../shared/operators/returned-node';

/** The "EC2 Instance State-change Notification" EventBridge delivers (the fields this reads). */
export const instanceStateEventSchema = z.looseObject({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Instance State-change Notification'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
  detail: z.looseObject({
    'instance-id': z.string().regex(/^i-[0-9a-f]{8,17}$/, 'an EC2 instance id'),
    state: z.string().min(1).max(32),
  }),
});

/** How long to wait for PostgreSQL to answer after its instance started (the function's timeout is 90 s). */
export const RETURNED_NODE_WAIT_SECONDS = 60;

/**
 * A cluster instance entered `running`: a node that was fenced must not come back as a second
 * writer. Decides from the instance's tag and the node's own answer; fences it again or records
 * that it needs a rejoin (see shared/operators/returned-node.ts).
 */
export const nodeReturned = async (event: z.output<typeof instanceStateEventSchema>): Promise<ReturnedNodeReceipt | { ignored: string }> => {
  const instanceId = event.detail['instance-id'];
  if (event.detail.state !== 'running') return { ignored: `${instanceId} is ${event.detail.state}, not running` };
  const cluster = loadConfig().clusters.find((c) => c.nodes.some((n) => n.instanceId === instanceId && n.region === event.region));
  const node = cluster?.nodes.find((n) => n.instanceId === instanceId);
  if (!cluster || !node) {
    log.info('instance state change ignored', { instanceId, region: event.region });
    return { ignored: `${instanceId} in ${event.region} is not a node of any configured cluster` };
  }
  return handleReturnedNode(clusterContext(cluster.name), node, RETURNED_NODE_WAIT_SECONDS);
};

export const handler = lambda('nodeReturned', nodeReturned, { input: instanceStateEventSchema });
