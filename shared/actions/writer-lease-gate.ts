import type { ClusterContext } from '../config/cluster-context';
import type { NodeConfig } from '../config/schema';
import { cloudWatchClient } from '../aws/clients/cloudwatch';
import { LEASE_COUNTER_PERIOD_MS, readLeaseCounter } from '../aws/metric-history';
import { judgeWriterLease, monitorSeed, promotionGate, type GateVerdict, type LeaseJudgement, type LeaseObservation, type WitnessView, type WriterLease } from '../decisions/writer-lease';
import { log } from '../log';
import { writerLeaseStore } from '../workflow/environment';

/** How far back the monitor's WriterLeaseCounter series is read for a first check's seed. */
const SEED_MINUTES = 3;

export interface WriterLeaseCheck {
  judgement: LeaseJudgement;
  gate: GateVerdict;
}

/**
 * The starting observation of a first check: the monitor's earlier sight of the counter just read
 * (its WriterLeaseCounter series in this stack's region), so that a lease that lapsed while the
 * alarm was still being raised is judged from when the monitor first saw its last counter, not from
 * this check. Only for a live lease of `writer`; a series that cannot be read seeds nothing (the
 * count starts now, as without a monitor). CloudWatch's delay can only make the seed later or absent.
 */
const seedFromMonitor = async ({ cluster, config }: ClusterContext, writer: string, lease: WriterLease | null | 'unreadable', now: Date): Promise<LeaseObservation | null> => {
  // The monitor publishes the series only with a writer lease store (deployment.writerLease).
  if (!config.deployment.writerLease || lease === 'unreadable' || !lease || lease.node !== writer || lease.revokedBy) return null;
  try {
    const series = await readLeaseCounter(cloudWatchClient(config.controlRegion), config.namespace, { cluster: cluster.name, node: lease.node, generation: lease.generation }, SEED_MINUTES, now.getTime());
    return monitorSeed(lease, series, LEASE_COUNTER_PERIOD_MS);
  } catch (error) {
    log.warn('writer lease counter series unreadable: counting from this check', { cluster: cluster.name, error });
    return null;
  }
};

/**
 * Reads the writer lease of `writer` and judges it against this execution's earlier observation
 * (or, at the first check, the monitor's: `seedFromMonitor`). When it lapsed and the caller is about to confirm the outage
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
  const start = previous ?? (await seedFromMonitor(context, writer.name, lease, options.now));
  let judgement = judgeWriterLease(writer.name, lease, start, options.now, cluster.policy.writerLeaseSeconds);
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
