import { assessCandidates } from '../../shared/actions/assess-candidates';
import { clusterContext, configuredPrimary } from '../../shared/config/cluster-context';
import { executionInputSchema, type CandidateResult, type FailoverState } from '../../shared/workflow/state';
import { timed } from '../../shared/time';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Chooses the node to promote: region preference and the lag guard, measured from positions the
 * standbys actually received. A refusal carries its reason.
 */
export const selectCandidate = (state: FailoverState): Promise<CandidateResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    const primary = configuredPrimary(context.cluster);
    const { verdict, standbys } = await assessCandidates(context, primary, {
      regionHealthy: state.outage?.regionHealthy ?? true,
      // An operator's declared outage is their evidence; an automatic one needs the cloud's.
      crossRegionAllowed: state.mode === 'manual' || state.outage?.cloudEvidence === true,
      acceptDataLoss: state.acceptDataLoss,
      ...(state.requestedNode ? { requestedNode: state.requestedNode } : {}),
    });
    log.info('candidate verdict', { cluster: state.cluster, execution: state.executionName, promote: verdict.promote, reasons: verdict.reasons });
    return {
      ...verdict,
      previousPrimary: primary.name,
      standbys: standbys.map((s) => ({ node: s.node, reachable: s.reachable, inRecovery: s.inRecovery, receiveLsn: s.receiveLsn })),
    };
  });

export const handler = lambda('selectCandidate', selectCandidate, { input: executionInputSchema });
