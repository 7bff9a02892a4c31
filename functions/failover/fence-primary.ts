import { ec2Client } from '../../shared/aws/clients/ec2';
import { FENCED_TAG, instanceState, stopInstance, tagInstance } from '../../shared/aws/ec2';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { executionInputSchema, type FailoverState, type FenceResult } from '../../shared/workflow/state';
import { AwsTransientError, StateMissingError } from '../../shared/errors';
import { timed } from '../../shared/time';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

const FENCED_STATES = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

/**
 * A throttled or briefly failing EC2 API must not skip the fence, and a dead regional API must not
 * stall the failover: a few quick attempts, then "could not be fenced" with the reason.
 */
const retryTransient = async <T>(call: () => Promise<T>, attempts = 3, delayMs = 300): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof AwsTransientError) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
    }
  }
};

/**
 * Tags the instance `pgfo:fenced` (the value names the incident) so that the host guard starts its
 * PostgreSQL only in recovery if the instance is ever started again. A tag that cannot be written
 * does not hold the stop back: it is said in the reason.
 */
const tagFenced = async (region: string, instanceId: string, execution: string): Promise<string | null> => {
  try {
    await retryTransient(() => tagInstance(ec2Client(region), instanceId, FENCED_TAG, execution));
    return null;
  } catch (error) {
    return `; not tagged ${FENCED_TAG} (${(error as Error).message}): the host guard will not hold it read-only if it is started`;
  }
};

/**
 * Fences the old primary before traffic moves: tags its instance fenced and stops it where the
 * regional API answers. When it cannot be confirmed, says so; the policy (requireFencing) decides whether the
 * failover proceeds. Stopping a stopped instance is harmless, so the step can run twice.
 */
export const fencePrimary = (state: FailoverState): Promise<FenceResult> =>
  timed(async () => {
    if (!state.candidate) throw new StateMissingError('fencePrimary needs the candidate verdict ($.candidate)');
    const { cluster } = clusterContext(state.cluster);
    const old = nodeNamed(cluster, state.candidate.previousPrimary);
    const base = { node: old.name, instanceId: old.instanceId };
    const untagged = await tagFenced(old.region, old.instanceId, state.executionName);
    try {
      const requested = await retryTransient(() => stopInstance(ec2Client(old.region), old.instanceId));
      const current = await instanceState(ec2Client(old.region), old.instanceId).catch(() => requested);
      const fenced = FENCED_STATES.has(current);
      return {
        ...base,
        fenced,
        proceed: fenced || !cluster.policy.requireFencing,
        instanceState: current,
        reason: `${fenced ? `${old.name} fenced: instance ${old.instanceId} is ${current}` : `${old.name} not fenced: instance is ${current}`}${untagged ?? ''}`,
      };
    } catch (error) {
      const reason = `${old.name} could not be fenced (${(error as Error).message})`;
      log.warn('fencing not confirmed', { cluster: cluster.name, node: old.name, reason });
      return {
        ...base,
        fenced: false,
        proceed: !cluster.policy.requireFencing,
        instanceState: null,
        reason: cluster.policy.requireFencing ? `${reason}; policy requires fencing: not proceeding` : `${reason}; proceeding (requireFencing is off)`,
      };
    }
  });

export const handler = lambda('fencePrimary', fencePrimary, { input: executionInputSchema });
