import { clusterContext, configuredPrimary } from '../../shared/config/cluster-context';
import { judgeOutage } from '../../shared/decisions/confirm-outage';
import { gatherSignals } from '../../shared/actions/signals';
import { executionInputSchema, type FailoverState, type OutageResult } from '../../shared/workflow/state';
import { timed } from '../../shared/time';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Confirms the outage from independent signals (EC2, a database probe, the standbys' receivers,
 * metric staleness). Each run is one check; the state machine waits and calls it again to re-check.
 */
export const confirmOutage = (state: FailoverState): Promise<OutageResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    const primary = configuredPrimary(context.cluster);
    const signals = await gatherSignals(context, primary);
    const attempt = (state.outage?.attempt ?? 0) + 1;
    const verdict = judgeOutage(signals, attempt, context.cluster.policy);
    log.info('outage check', { cluster: state.cluster, execution: state.executionName, decision: verdict.decision, reason: verdict.reason });
    return { ...verdict, primary: primary.name };
  });

export const handler = lambda('confirmOutage', confirmOutage, { input: executionInputSchema });
