import { failoverTarget } from '../../shared/actions/topology';
import { clusterContext } from '../../shared/config/cluster-context';
import { judgeOutage } from '../../shared/decisions/confirm-outage';
import { gatherSignals, metricsSignal } from '../../shared/actions/signals';
import { executionInputSchema, type FailoverState, type OutageResult } from '../../shared/workflow/state';
import { timed } from '../../shared/time';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Confirms the outage of the current writer — found from the cluster record and the nodes, not the
 * configured roles — from independent signals (EC2, a database probe, the standbys' receivers,
 * metric staleness). Each run is one check; the state machine waits and calls it again to re-check.
 * When the record and the nodes contradict each other, nothing is confirmed and the receipt says why.
 */
export const confirmOutage = (state: FailoverState): Promise<OutageResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    const attempt = (state.outage?.attempt ?? 0) + 1;
    // The metrics signal is about the cluster, not a node: it runs while the writer is found.
    const metrics = metricsSignal(context);
    const target = await failoverTarget(context, { reuseSessions: true });
    const generation = target.topology.record.generation;
    if (!target.known) {
      log.warn('outage not judged: contradictory topology', { cluster: state.cluster, execution: state.executionName, reason: target.reason });
      return { decision: 'not-confirmed', attempt, signals: [], regionHealthy: true, reason: target.reason, primary: target.topology.record.writer, generation };
    }
    const signals = await gatherSignals(context, target.failed, metrics);
    const verdict = judgeOutage(signals, attempt, context.cluster.policy);
    const reason = [verdict.reason, ...target.notes].join('; ');
    log.info('outage check', { cluster: state.cluster, execution: state.executionName, writer: target.failed.name, decision: verdict.decision, reason });
    return { ...verdict, reason, primary: target.failed.name, generation };
  });

export const handler = lambda('confirmOutage', confirmOutage, { input: executionInputSchema });
