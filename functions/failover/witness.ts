import { ec2Client } from '../../shared/aws/clients/ec2';
import { clusterContext, nodeNamed, type ClusterContext } from '../../shared/config/cluster-context';
import { witnessRequestSchema, type WitnessRequest } from '../../shared/actions/witness';
import { observeAsWitness, type WitnessDeps } from '../../shared/actions/witness-look';
import type { WitnessFacts } from '../../shared/decisions/witness';
import { lambda } from '../../shared/lambda';
import { withStackRegion } from '../../shared/config/stack-region';
import { log } from '../../shared/log';

export interface WitnessHost extends WitnessDeps {
  /** The configuration as the witness reads it (its own file: the same nodes, its own paths to them). */
  context: (cluster: string) => ClusterContext;
}

/**
 * The witness: deployed in witnessRegion (its own stack), it looks at one node from there — the
 * confirmation's database probe and the node's regional EC2 API — and returns the facts; asked to
 * fence, it fences with the same steps as the control plane. It decides nothing: the control plane
 * judges what it saw.
 */
export const makeWitness =
  (host: WitnessHost) =>
  async (request: WitnessRequest): Promise<WitnessFacts> => {
    // The configuration as the asking stack sees it (its region's credentials); the witness's own
    // region is no control region, so the invocation's ARN does not name the stack (lambda's ownRegion: false).
    const context = withStackRegion(request.controlRegion, () => host.context(request.cluster));
    const node = nodeNamed(context.cluster, request.node);
    const facts = await observeAsWitness(context, node, request, host);
    log.info('witness look', { cluster: request.cluster, node: node.name, database: facts.database.cause, ec2: facts.ec2.cause, fence: facts.fence?.lastSeenState ?? null });
    return facts;
  };

/** As deployed: the region Lambda runs it in, the shared clients, PGFO_CONFIG_FILE. */
const deployed: WitnessHost = {
  region: process.env.AWS_REGION ?? 'unknown',
  ec2: ec2Client,
  context: clusterContext,
};

/** The deployed wrapper (input validation, logging) around a witness on `host`. */
export const handlerOf = (host: WitnessHost) => lambda('witness', makeWitness(host), { input: witnessRequestSchema, stackFromArn: false });

export const handler = handlerOf(deployed);
