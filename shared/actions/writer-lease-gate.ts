import type { ClusterContext } from '../config/cluster-context';
import type { NodeConfig } from '../config/schema';
import { judgeWriterLease, promotionGate, type GateVerdict, type LeaseJudgement, type LeaseObservation, type WitnessView } from '../decisions/writer-lease';
import { writerLeaseStore } from '../workflow/environment';

export interface WriterLeaseCheck {
  judgement: LeaseJudgement;
  gate: GateVerdict;
}

/**
 * Reads the writer lease of `writer` and judges it against this execution's earlier observation
 * (the control plane's clock only). When it lapsed and the caller is about to confirm the outage
 * (`revokeIfExpired`), it is revoked, conditional on the very counter watched: a writer that renewed
 * meanwhile makes the revocation fail, and the lease counts as held. A store that cannot be read is
 * "unknown", never "expired".
 */
export const checkWriterLease = async (
  context: ClusterContext,
  writer: NodeConfig,
  previous: LeaseObservation | null,
  options: { now: Date; execution: string; revokeIfExpired: boolean; witness?: WitnessView },
): Promise<WriterLeaseCheck> => {
  const { cluster, config } = context;
  const store = writerLeaseStore(config);
  const lease = await store.read(cluster.name).catch(() => 'unreadable' as const);
  let judgement = judgeWriterLease(writer.name, lease, previous, options.now, cluster.policy.writerLeaseSeconds);
  const crossRegion = cluster.nodes.some((n) => n.name !== writer.name && n.region !== writer.region);
  const witness = options.witness ?? 'not-configured';
  if (options.revokeIfExpired && judgement.lease === 'expired' && judgement.observation && lease !== 'unreadable' && lease && !lease.revokedBy) {
    const { counter } = judgement.observation;
    const revoked = await store.revoke(cluster.name, writer.name, counter, options.execution).catch((error: Error) => error);
    if (revoked instanceof Error) {
      // Not revoked: the writer could still come back. Wait and look again, never promote past it.
      judgement = { lease: 'held', renewing: false, observation: judgement.observation, detail: `${writer.name}'s lapsed lease could not be revoked (the store did not answer: ${revoked.message})` };
    } else if (!revoked) {
      judgement = { lease: 'held', renewing: true, observation: null, detail: `${writer.name} renewed its lease after counter ${counter}: it is back` };
    } else {
      judgement = { ...judgement, detail: `${judgement.detail}; revoked by ${options.execution}` };
    }
  }
  return { judgement, gate: promotionGate({ lease: judgement, witness, crossRegion }) };
};
