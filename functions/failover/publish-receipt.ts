import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { cloudWatchClient } from '../../shared/aws/clients/cloudwatch';
import { eventBridgeClient } from '../../shared/aws/clients/eventbridge';
import { DETAIL_TYPES, publishEvent, writerEventEntry, type EventEntry } from '../../shared/aws/events';
import { clusterContext } from '../../shared/config/cluster-context';
import { eventBusName, leaseStore } from '../../shared/workflow/environment';
import { buildReceipt, type Receipt } from '../../shared/decisions/receipt';
import { executionInputSchema, type FailoverState } from '../../shared/workflow/state';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

const metricsOf = (receipt: Receipt) => {
  const dims = [{ Name: 'Cluster', Value: receipt.cluster }];
  const data = [{ MetricName: 'FailoverDurationSeconds', Value: receipt.totalMs / 1000, Unit: 'Seconds' as const, Dimensions: dims }];
  if (receipt.dataLoss) {
    data.push({ MetricName: 'FailoverDataLossBytes', Value: receipt.dataLoss.bytes, Unit: 'Bytes' as const, Dimensions: dims } as never);
    if (receipt.dataLoss.seconds !== null) {
      data.push({ MetricName: 'FailoverDataLossSeconds', Value: receipt.dataLoss.seconds, Unit: 'Seconds' as const, Dimensions: dims });
    }
  }
  return data;
};

/** The event a failover ends with: its detail type says how it ended, its detail is the receipt. */
export const failoverEvent = (receipt: Receipt, busName: string): EventEntry => {
  const needsPerson = receipt.outcome === 'undecided' || (receipt.outcome === 'refused' && receipt.fencing !== null && !receipt.fencing.fenced);
  const detailType =
    receipt.outcome === 'promoted' ? DETAIL_TYPES.promoted : receipt.outcome === 'failed' ? DETAIL_TYPES.failed : needsPerson ? DETAIL_TYPES.decide : DETAIL_TYPES.other;
  const { cluster, promoted, previousPrimary, databaseUrl } = receipt;
  return writerEventEntry(detailType, { kind: 'failover', cluster, promoted, previousPrimary, databaseUrl }, receipt, busName);
};

/**
 * Publishes the receipt: a structured log line, metrics, an EventBridge event telling applications
 * to reconnect (or that nothing moved) and a record in the lease table's history. Each channel is
 * best effort: a failing channel is named in the receipt, it does not undo a finished failover.
 */
export const publishReceipt = async (state: FailoverState): Promise<Receipt & { notificationErrors: string[] }> => {
  const { config } = clusterContext(state.cluster);
  // Which stack acted: with one stack per control region, the receipt names the one that ran it.
  const receipt: Receipt = { ...buildReceipt(state, new Date()), stackRegion: config.controlRegion };
  log.info('failover receipt', { receipt });
  const channels: Array<[string, () => Promise<unknown>]> = [
    ['metrics', () => cloudWatchClient(config.controlRegion).send(new PutMetricDataCommand({ Namespace: config.namespace, MetricData: metricsOf(receipt) }))],
    ['event', () => publishEvent(eventBridgeClient(config.controlRegion), failoverEvent(receipt, eventBusName()))],
    ['history', () => leaseStore(config).recordReceipt(receipt.cluster, receipt.execution, receipt.startedAt, receipt)],
  ];
  const notificationErrors: string[] = [];
  await Promise.all(
    channels.map(async ([name, send]) => {
      try {
        await send();
      } catch (error) {
        notificationErrors.push(`${name}: ${(error as Error).name}: ${(error as Error).message}`);
      }
    }),
  );
  if (notificationErrors.length > 0) log.warn('receipt channels failed', { cluster: receipt.cluster, notificationErrors });
  return { ...receipt, notificationErrors };
};

export const handler = lambda('publishReceipt', publishReceipt, { input: executionInputSchema });
