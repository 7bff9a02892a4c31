import { clusterContext } from '../../shared/config/cluster-context';
import { readRecord } from '../../shared/actions/topology';
import { describePause } from '../../shared/decisions/cluster-record';
import { leaseStore } from '../../shared/workflow/environment';
import { executionInputSchema, type ExecutionInput, type LeaseResult } from '../../shared/workflow/state';
import { timed } from '../../shared/time';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Takes the cluster's lease for this execution: the single-flight guarantee. A second alarm, a
 * retried event or an operator action while this runs finds the lease held and stops here. While
 * automatic failover is paused, an automatic execution stops here too (without taking the lease),
 * and its receipt says who paused it, since when and why; an operator's failover is not held back.
 */
export const acquireLease = (state: ExecutionInput): Promise<LeaseResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    if (state.mode === 'automatic') {
      const { paused } = await readRecord(context, { seed: false });
      if (paused) {
        const reason = `${state.cluster}: automatic failover ${describePause(paused)}`;
        log.warn('automatic failover paused', { cluster: state.cluster, execution: state.executionName, reason });
        return { acquired: false, paused: true, reason };
      }
    }
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
    return outcome.acquired
      ? { acquired: true, paused: false, generation: now }
      : { acquired: false, paused: false, reason: outcome.reason, ...(outcome.heldBy ? { heldBy: outcome.heldBy } : {}) };
  });

export const handler = lambda('acquireLease', acquireLease, { input: executionInputSchema });
