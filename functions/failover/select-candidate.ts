import { assessCandidates, candidateHistory } from '../../shared/actions/assess-candidates';
import { failoverTarget } from '../../shared/actions/topology';
import { clusterContext } from '../../shared/config/cluster-context';
import { synchronousOf } from '../../shared/decisions/cluster-record';
import { executionInputSchema, type CandidateResult, type FailoverState } from '../../shared/workflow/state';
import { timed } from '../../shared/time';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Chooses the node to promote among those following the failed writer (found from the cluster
 * record and the nodes, never from the configured roles): region preference and the lag guard,
 * measured from positions the standbys actually received. A refusal carries its reason; so does a
 * cluster whose observed state contradicts itself.
 */
export const selectCandidate = (state: FailoverState): Promise<CandidateResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    // The published history does not depend on the topology: read both at the same time.
    const history = candidateHistory(context);
    const target = await failoverTarget(context, { reuseSessions: true });
    const generation = target.topology.record.generation;
    if (!target.known) {
      log.warn('candidate refused: contradictory topology', { cluster: state.cluster, execution: state.executionName, reason: target.reason });
      return { promote: false, reason: target.reason, reasons: [target.reason], previousPrimary: target.topology.record.writer, generation, standbys: [] };
    }
    // Which standby held every acknowledged commit, as recorded (never with synchronousMode off).
    const synchronous = context.cluster.policy.synchronousMode === 'off' ? undefined : synchronousOf(target.topology.record, target.failed.name);
    const { verdict, standbys } = await assessCandidates(context, target.failed, {
      regionHealthy: state.outage?.regionHealthy ?? true,
      // An operator's declared outage is their evidence; an automatic one needs the cloud's, and the
      // witness's gate (absent: not asked, so not allowed).
      crossRegionAllowed: state.mode === 'manual' || (state.outage?.cloudEvidence === true && state.outage.crossRegion?.allowed === true),
      ...(state.mode === 'automatic' && state.outage?.cloudEvidence === true && state.outage.crossRegion?.allowed !== true
        ? { crossRegionRefusal: state.outage.crossRegion?.reason ?? 'no cross-region promotion: the witness was not asked' }
        : {}),
      acceptDataLoss: state.acceptDataLoss,
      ...(state.requestedNode ? { requestedNode: state.requestedNode } : {}),
      followers: target.followers,
      convergeOn: target.convergeOn,
      history,
      ...(synchronous ? { synchronous: { node: synchronous.node, since: synchronous.since } } : {}),
    });
    const reasons = [...target.notes, ...verdict.reasons];
    log.info('candidate verdict', { cluster: state.cluster, execution: state.executionName, promote: verdict.promote, reasons });
    return {
      ...verdict,
      reasons,
      previousPrimary: target.failed.name,
      timeline: target.timeline,
      generation,
      standbys: standbys.map((s) => ({ node: s.node, reachable: s.reachable, inRecovery: s.inRecovery, receiveLsn: s.receiveLsn, follows: s.follows ?? null })),
    };
  });

export const handler = lambda('selectCandidate', selectCandidate, { input: executionInputSchema });
