import { cloudWatchClient } from '../aws/clients/cloudwatch';
import { readWriterHistory, type WriterHistory } from '../aws/metric-history';
import type { NodeConfig } from '../config/schema';
import { log } from '../log';
import { readStandbyFacts } from '../postgres/failover-sql';
import { chooseCandidate } from '../decisions/choose-candidate';
import type { ClusterContext } from '../config/cluster-context';
import { withReusedFailoverSession } from './failover-connection';
import type { CandidateVerdict, StandbyFacts } from '../decisions/types';
import type { Follower } from '../decisions/topology';

/** How far back the writer's published positions are read for the lag guard. */
const HISTORY_MINUTES = 15;

export interface CandidateAssessment {
  verdict: CandidateVerdict;
  standbys: StandbyFacts[];
}

/** A standby's own view of its positions, or why it could not be asked. Never throws. */
export const observeStandby = async (context: ClusterContext, node: NodeConfig): Promise<StandbyFacts> => {
  const identity = { node: node.name, region: node.region, role: node.role };
  try {
    return await withReusedFailoverSession(context, node, (client) => readStandbyFacts(client, identity));
  } catch (error) {
    return {
      ...identity,
      reachable: false,
      reason: (error as Error).message,
      inRecovery: true,
      receiveLsn: null,
      replayLsn: null,
      senderEndLsn: null,
      receiverStreaming: false,
    };
  }
};

/**
 * The writer's published position history for the lag guard; an unavailable history is empty (the
 * guard then measures from the standbys alone). Never throws.
 */
export const candidateHistory = ({ config, cluster }: ClusterContext): Promise<WriterHistory> =>
  readWriterHistory(cloudWatchClient(config.controlRegion), config.namespace, cluster.name, HISTORY_MINUTES).catch((error) => {
    log.warn('writer position history unavailable; measuring from the standbys only', { cluster: cluster.name, error });
    return { positions: [], lastReachableAt: null, firstUnreachableAt: null };
  });

/**
 * Looks at every node but the failed primary (positions each actually received, receiver state)
 * and the writer's published position history (`history`, when the caller started reading it
 * earlier), then applies the lag guard and region preference. Reads only: used by the failover and
 * by the dry-run plan.
 */
export const assessCandidates = async (
  context: ClusterContext,
  failedPrimary: NodeConfig,
  options: {
    regionHealthy: boolean;
    /** A standby in another region may be promoted (the cloud's own evidence, or an operator's request). */
    crossRegionAllowed: boolean;
    /** Why a cross-region promotion is not allowed, when the witness's gate said so. */
    crossRegionRefusal?: string;
    acceptDataLoss: boolean;
    requestedNode?: string;
    /** Whether each node follows the failed writer (from the topology decision). */
    followers?: Follower[];
    /** The node an unfinished run of this failover already promoted. */
    convergeOn?: string | null;
    history?: Promise<WriterHistory>;
    /** The failed writer's synchronous standby as the cluster record holds it (absent: not recorded). */
    synchronous?: { node: string | null; since: string };
  },
): Promise<CandidateAssessment> => {
  const { cluster } = context;
  // The standbys and the published history are independent reads: ask them at the same time.
  const [standbys, history] = await Promise.all([
    Promise.all(
      cluster.nodes
        .filter((n) => n.name !== failedPrimary.name)
        .map(async (n) => {
          const facts = await observeStandby(context, n);
          const follower = options.followers?.find((f) => f.node === n.name);
          return follower ? { ...facts, follows: follower.following, followReason: follower.reason } : facts;
        }),
    ),
    options.history ?? candidateHistory(context),
  ]);
  const verdict = chooseCandidate(
    {
      failedPrimary: { node: failedPrimary.name, region: failedPrimary.region },
      standbys,
      history: history.positions,
      writerLostAt: history.firstUnreachableAt,
      regionHealthy: options.regionHealthy,
      crossRegionAllowed: options.crossRegionAllowed,
      ...(options.crossRegionRefusal ? { crossRegionRefusal: options.crossRegionRefusal } : {}),
      acceptDataLoss: options.acceptDataLoss,
      ...(options.requestedNode ? { requestedNode: options.requestedNode } : {}),
      ...(options.convergeOn ? { convergeOn: options.convergeOn } : {}),
      ...(options.synchronous ? { synchronous: options.synchronous } : {}),
    },
    cluster.policy,
  );
  log.debug('candidate facts', { cluster: cluster.name, standbys, history: history.positions });
  return { verdict, standbys };
};
