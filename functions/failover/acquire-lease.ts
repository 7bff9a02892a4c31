import { clusterContext } from '../../shared/config/cluster-context';
import { leaseStore } from '../../shared/workflow/environment';
import { executionInputSchema, type ExecutionInput, type LeaseResult } from '../../shared/workflow/state';
import { timed } from '../../shared/time';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Takes the cluster's lease for this execution: the single-flight guarantee. A second alarm, a
 * retried event or an operator action while this runs finds the lease held and stops here.
 */
export const acquireLease = (state: ExecutionInput): Promise<LeaseResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    const now = Date.now();
    const outcome = await leaseStore(context.config).acquire(
      state.cluster,
      state.executionName,
      state.mode === 'manual' ? 'manual failover' : 'failover',
      context.cluster.policy.leaseSeconds,
      now,
      // The cooldown holds back automatic failovers (anti-flap), not an operator's decision.
      { ignoreCooldown: state.mode === 'manual' },
    );
    if (!outcome.acquired) log.warn('lease not acquired', { cluster: state.cluster, execution: state.executionName, reason: outcome.reason });
    return outcome.acquired ? { acquired: true, generation: now } : { acquired: false, reason: outcome.reason, ...(outcome.heldBy ? { heldBy: outcome.heldBy } : {}) };
  });

export const handler = lambda('acquireLease', acquireLease, { input: executionInputSchema });
