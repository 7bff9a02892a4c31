import { ec2Client } from '../../shared/aws/clients/ec2';
import { fenceInstance } from '../../shared/actions/fence';
import { fenceByWitness, regionUnreachable } from '../../shared/actions/witness';
import { clusterContext, nodeNamed } from '../../shared/config/cluster-context';
import { judgeFence } from '../../shared/decisions/fence';
import { executionInputSchema, type FailoverState, type FenceResult } from '../../shared/workflow/state';
import { StateMissingError } from '../../shared/errors';
import { timed } from '../../shared/time';
import { holdLease } from '../../shared/workflow/lease-guard';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/**
 * Fences the old writer before traffic moves: tags its instance with the incident, force-stops it
 * and waits (up to `fenceTimeoutSeconds`) until EC2 reports it `stopped`. Whether the failover may
 * go on without that proof is `judgeFence`'s decision under `requireFencing` (and an operator's
 * explicit override). When the EC2 API never answered the control plane, the witness (another
 * region, another path) fences instead, and the result says who fenced. Every step is safe to run twice.
 */
export const fencePrimary = (state: FailoverState): Promise<FenceResult> =>
  timed(async () => {
    if (!state.candidate) throw new StateMissingError('fencePrimary needs the candidate verdict ($.candidate)');
    const { config, cluster } = clusterContext(state.cluster);
    await holdLease(config, cluster, state.executionName, 'fencePrimary');
    const old = nodeNamed(cluster, state.candidate.previousPrimary);
    const incident = `${state.executionName}@${state.incident.at}`;
    const own = await fenceInstance(old, incident, cluster.policy.fenceTimeoutSeconds, { ec2: ec2Client(old.region) });
    // The control plane got no answer at all from the EC2 API: the witness, on another path, tries.
    const byWitness = regionUnreachable(own) ? await fenceByWitness({ config, cluster }, old, incident) : null;
    const facts = byWitness?.facts ?? own;
    // The writer lease seen lapsed and revoked by the confirmation: the old writer stopped itself.
    const lease = state.outage?.writerLease;
    const selfFenced = lease?.lease === 'expired' && state.outage?.primary === old.name ? `writer lease expired: ${lease.detail}` : null;
    const verdict = judgeFence(facts, cluster.policy.requireFencing, state.acceptUnfenced ?? null, selfFenced);
    const reason = byWitness ? `${byWitness.facts ? `fenced through the witness in ${config.witnessRegion}: ` : ''}${verdict.reason}; ${byWitness.note}` : verdict.reason;
    if (!verdict.fenced) log.warn('fencing not confirmed', { cluster: cluster.name, node: old.name, proceed: verdict.proceed, reason });
    return {
      node: old.name,
      instanceId: old.instanceId,
      instanceState: facts.lastSeenState,
      tagged: facts.tagged,
      waitedMs: own.waitedMs + (byWitness?.facts?.waitedMs ?? 0),
      ...verdict,
      reason,
      fencedBy: byWitness?.facts ? 'witness' : 'control-plane',
    };
  });

export const handler = lambda('fencePrimary', fencePrimary, { input: executionInputSchema });
