import { cloudWatchClient } from '../../shared/aws/clients/cloudwatch';
import { readWriterHistory } from '../../shared/aws/metric-history';
import { clusterContext } from '../../shared/failover/cluster-context';
import { failoverConnection } from '../../shared/failover/failover-connection';
import { chooseCandidate } from '../../shared/failover/choose-candidate';
import { executionInputSchema, timed, type CandidateResult, type FailoverState } from '../../shared/failover/state';
import type { StandbyFacts } from '../../shared/failover/types';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';
import { closeQuietly } from '../../shared/postgres/connect';
import { readStandbyFacts } from '../../shared/postgres/failover-sql';

/** How far back the writer's published positions are read for the lag guard. */
const HISTORY_MINUTES = 15;

/**
 * Looks at every standby (positions it actually received, receiver state) and the writer's
 * published position history, then applies the lag guard and the region preference.
 */
export const selectCandidate = (state: FailoverState): Promise<CandidateResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    const { cluster, config } = context;
    const primary = cluster.nodes.find((n) => n.role === 'primary')!;
    const standbys: StandbyFacts[] = await Promise.all(
      cluster.nodes
        .filter((n) => n.name !== primary.name)
        .map(async (node) => {
          const identity = { node: node.name, region: node.region, role: node.role };
          let client;
          try {
            client = await failoverConnection(context, node);
            return await readStandbyFacts(client, identity);
          } catch (error) {
            return { ...identity, reachable: false, reason: (error as Error).message, inRecovery: true, receiveLsn: null, replayLsn: null, senderEndLsn: null, receiverStreaming: false };
          } finally {
            await closeQuietly(client);
          }
        }),
    );
    const history = await readWriterHistory(cloudWatchClient(config.controlRegion), config.namespace, cluster.name, HISTORY_MINUTES).catch(
      (error) => {
        log.warn('writer position history unavailable; measuring from the standbys only', { cluster: cluster.name, error });
        return { positions: [], lastReachableAt: null };
      },
    );
    const verdict = chooseCandidate(
      {
        failedPrimary: { node: primary.name, region: primary.region },
        standbys,
        history: history.positions,
        regionHealthy: state.outage?.regionHealthy ?? true,
        acceptDataLoss: state.acceptDataLoss,
        ...(state.requestedNode ? { requestedNode: state.requestedNode } : {}),
      },
      cluster.policy,
    );
    log.info('candidate verdict', { cluster: cluster.name, execution: state.executionName, promote: verdict.promote, reasons: verdict.reasons });
    log.debug('candidate facts', { standbys, history: history.positions });
    return {
      ...verdict,
      previousPrimary: primary.name,
      standbys: standbys.map((s) => ({ node: s.node, reachable: s.reachable, inRecovery: s.inRecovery, receiveLsn: s.receiveLsn })),
    };
  });

export const handler = lambda('selectCandidate', selectCandidate, { input: executionInputSchema });
