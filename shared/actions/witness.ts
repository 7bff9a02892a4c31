import * as z from 'zod';
import { lambdaClient, lambdaFenceClient } from '../aws/clients/lambda';
import { invokeJson } from '../aws/lambda-invoke';
import type { ClusterContext } from '../config/cluster-context';
import { nameSchema, regionSchema, type FailoverConfig, type NodeConfig } from '../config/schema';
import { crossRegionGate, judgeWitness, type CrossRegionGate, type LeaseView, type WitnessAnswer, type WitnessFacts, type WitnessVerdict } from '../decisions/witness';
import { witnessFunctionName } from '../workflow/environment';
import type { FenceFacts } from '../decisions/fence';

/** What the control plane asks the witness: look at one node, and fence it when `fence` is given. */
export const witnessRequestSchema = z.strictObject({
  cluster: nameSchema,
  node: nameSchema,
  /** Fence the node (tag pgfo:fenced with the incident, stop, wait for `stopped`) from the witness's region. */
  fence: z.strictObject({ incident: z.string().min(1).max(200), timeoutSeconds: z.number().int().min(1).max(100) }).optional(),
  /**
   * The control region of the stack asking: the witness reads the credentials there (every control
   * region holds them), so a lost home region does not blind it. @default the home region
   */
  controlRegion: regionSchema.optional(),
});

export type WitnessRequest = z.infer<typeof witnessRequestSchema>;

/** The longest the witness waits for a fenced instance to stop (the invocation gets 130 s: clients/lambda.ts). */
export const WITNESS_FENCE_MAX_SECONDS = 100;

/**
 * Asks the witness (Lambda Invoke in witnessRegion). Never throws: a witness that cannot be asked
 * (no witnessRegion, the call failed or timed out, the function failed) is an answer of its own.
 */
export const askWitness = async (config: FailoverConfig, request: WitnessRequest): Promise<WitnessAnswer> => {
  const region = config.witnessRegion;
  if (region === undefined) return { region: null, error: 'no witnessRegion is configured' };
  try {
    const client = request.fence ? lambdaFenceClient(region) : lambdaClient(region);
    return await invokeJson<WitnessFacts>(client, witnessFunctionName(), { ...request, controlRegion: request.controlRegion ?? config.controlRegion });
  } catch (error) {
    return { region, error: error instanceof Error ? error.message : String(error) };
  }
};

/** Asks the witness to look at `node` and judges its answer. */
export const witnessVerdict = async ({ config, cluster }: ClusterContext, node: NodeConfig): Promise<WitnessVerdict> =>
  judgeWitness(await askWitness(config, { cluster: cluster.name, node: node.name }));

/**
 * Before a promotion into another region than `writer`'s: the witness's verdict and the gate. None
 * when no standby is in another region (in-region promotions keep their own rules). Without a
 * witnessRegion the gate follows allowCrossRegionWithoutWitness (loading refuses neither set).
 * `lease`: the writer lease's view; 'unknown' until it is read.
 */
export const crossRegionCheck = async (
  context: ClusterContext,
  writer: NodeConfig,
  lease: LeaseView = 'unknown',
): Promise<{ witness: WitnessVerdict; crossRegion: CrossRegionGate } | undefined> => {
  if (!context.cluster.nodes.some((n) => n.region !== writer.region)) return undefined;
  if (context.config.witnessRegion === undefined) {
    const witness: WitnessVerdict = { verdict: 'unknown', region: null, reason: 'no witnessRegion is configured' };
    return context.config.allowCrossRegionWithoutWitness
      ? { witness, crossRegion: { allowed: true, reason: 'cross-region promotion on the control plane\'s view alone: no witness configured (allowCrossRegionWithoutWitness: true)' } }
      : { witness, crossRegion: crossRegionGate({ witness, lease }) };
  }
  const witness = await witnessVerdict(context, writer);
  return { witness, crossRegion: crossRegionGate({ witness, lease }) };
};

/** The fence got no answer at all from the EC2 API (nothing refused, no state ever seen). */
export const regionUnreachable = (facts: FenceFacts): boolean => facts.refusal === null && facts.lastSeenState === null && facts.unreachable !== null;

/**
 * Asks the witness to fence `node` when the control plane cannot reach its EC2 API. Returns the
 * witness's fence facts when its EC2 API answered it (null otherwise) and a note for the receipt.
 */
export const fenceByWitness = async ({ config, cluster }: ClusterContext, node: NodeConfig, incident: string): Promise<{ facts: FenceFacts | null; note: string }> => {
  if (config.witnessRegion === undefined) return { facts: null, note: 'no witness to fence through (no witnessRegion)' };
  // fencePrimary's own attempt (seconds when nothing answers) plus this must fit its 175 s timeout.
  const timeoutSeconds = Math.min(cluster.policy.fenceTimeoutSeconds, WITNESS_FENCE_MAX_SECONDS);
  const answer = await askWitness(config, { cluster: cluster.name, node: node.name, fence: { incident, timeoutSeconds } });
  if ('error' in answer) return { facts: null, note: `the witness could not be asked to fence: ${answer.error}` };
  if (!answer.fence || regionUnreachable(answer.fence)) {
    return { facts: null, note: `the EC2 API in ${node.region} did not answer the witness in ${answer.region} either${answer.fence?.unreachable ? `: ${answer.fence.unreachable}` : ''}` };
  }
  return { facts: answer.fence, note: `the control plane could not reach the EC2 API in ${node.region}; the witness in ${answer.region} could` };
};
