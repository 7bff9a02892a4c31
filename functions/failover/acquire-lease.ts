import { clusterContext } from '../../shared/config/cluster-context';
import { readRecord } from '../../shared/actions/topology';
import { describePause } from '../../shared/decisions/cluster-record';
import { arbiterView } from '../../shared/decisions/arbiter';
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
 * An automatic execution in the stack of the recorded writer's region stops here too (passive).
 */
export const acquireLease = (state: ExecutionInput): Promise<LeaseResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    if (state.mode === 'automatic') {
      const record = await readRecord(context, { seed: false });
      if (record.paused) {
        const reason = `${state.cluster}: automatic failover ${describePause(record.paused)}`;
        log.warn('automatic failover paused', { cluster: state.cluster, execution: state.executionName, reason });
        return { acquired: false, paused: true, reason };
      }
      // The stack in the recorded writer's region does not fail it over: it would go down with it.
      const arbiter = arbiterView(context.config, context.cluster, { node: record.writer, from: 'record' }, context.config.controlRegion);
      if (!arbiter.acts) {
        log.info('passive for this cluster', { cluster: state.cluster, execution: state.executionName, reason: arbiter.reason });
        return { acquired: false, paused: false, passive: true, reason: arbiter.reason };
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
