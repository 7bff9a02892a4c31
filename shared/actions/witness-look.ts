import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ClusterContext } from '../config/cluster-context';
import type { NodeConfig } from '../config/schema';
import type { WitnessFacts } from '../decisions/witness';
import { fenceInstance } from './fence';
import { databaseSignal, ec2Signal } from './signals';
import type { WitnessRequest } from './witness';

/*
 * The witness's own side (it opens database sessions): kept apart from witness.ts, which the
 * control plane's functions import to ask it, so that fencePrimary does not bundle the PostgreSQL client.
 */

/** What the witness uses to look: its own EC2 client for the node's region, and the region it runs in. */
export interface WitnessDeps {
  region: string;
  ec2: (region: string) => EC2Client;
}

/**
 * The witness's look at `node` from its own network: the confirmation's database probe and EC2
 * signal, side by side; then, when asked, the fence (the same steps the control plane's fence takes).
 */
export const observeAsWitness = async (context: ClusterContext, node: NodeConfig, request: WitnessRequest, deps: WitnessDeps): Promise<WitnessFacts> => {
  const ec2 = deps.ec2(node.region);
  const [database, ec2View] = await Promise.all([databaseSignal(context, node), ec2Signal(context, node, ec2)]);
  const facts: WitnessFacts = { region: deps.region, node: node.name, database, ec2: ec2View };
  if (request.fence) facts.fence = await fenceInstance(node, request.fence.incident, request.fence.timeoutSeconds, { ec2 });
  return facts;
};

