import { clusterContext } from '../../shared/failover/cluster-context';
import { judgeOutage } from '../../shared/failover/confirm-outage';
import { databaseSignal, ec2Signal, metricsSignal, standbysSignal } from '../../shared/failover/signals';
import { executionInputSchema, timed, type FailoverState, type OutageResult } from '../../shared/failover/state';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Confirms the outage from independent signals (EC2, a database probe, the standbys' receivers,
 * metric staleness). Each run is one check; the state machine waits and calls it again to re-check.
 */
export const confirmOutage = (state: FailoverState): Promise<OutageResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    const primary = context.cluster.nodes.find((n) => n.role === 'primary')!;
    const signals = await Promise.all([
      ec2Signal(context, primary),
      databaseSignal(context, primary),
      standbysSignal(context, primary),
      metricsSignal(context),
    ]);
    const attempt = (state.outage?.attempt ?? 0) + 1;
    const verdict = judgeOutage(signals, attempt, context.cluster.policy);
    log.info('outage check', { cluster: state.cluster, execution: state.executionName, decision: verdict.decision, reason: verdict.reason });
    return { ...verdict, primary: primary.name };
  });

export const handler = lambda('confirmOutage', confirmOutage, { input: executionInputSchema });
