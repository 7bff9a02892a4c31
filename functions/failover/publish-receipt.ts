import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { cloudWatchClient } from '../../shared/aws/clients/cloudwatch';
import { eventBridgeClient } from '../../shared/aws/clients/eventbridge';
import { clusterContext } from '../../shared/config/cluster-context';
import { eventBusName, leaseStore } from '../../shared/workflow/environment';
import { buildReceipt, type Receipt } from '../../shared/decisions/receipt';
import { executionInputSchema, type FailoverState } from '../../shared/workflow/state';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

/** EventBridge source and detail types applications subscribe to. */
export const EVENT_SOURCE = 'pgfo';
export const DETAIL_TYPES = {
  promoted: 'PostgreSQL Writer Changed',
  other: 'PostgreSQL Failover Not Performed',
  /** The outage stayed unconfirmed while the alarm stayed in ALARM, or the fence held the failover back: a person must decide. */
  decide: 'PostgreSQL Failover Needs A Decision',
  failed: 'PostgreSQL Failover Failed',
} as const;

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

/**
 * Publishes the receipt: a structured log line, metrics, an EventBridge event telling applications
 * to reconnect (or that nothing moved) and a record in the lease table's history. Each channel is
 * best effort: a failing channel is named in the receipt, it does not undo a finished failover.
 */
export const publishReceipt = async (state: FailoverState): Promise<Receipt & { notificationErrors: string[] }> => {
  const { config } = clusterContext(state.cluster);
  const receipt = buildReceipt(state, new Date());
  log.info('failover receipt', { receipt });
  const needsPerson = receipt.outcome === 'undecided' || (receipt.outcome === 'refused' && receipt.fencing !== null && !receipt.fencing.fenced);
  const detailType =
    receipt.outcome === 'promoted' ? DETAIL_TYPES.promoted : receipt.outcome === 'failed' ? DETAIL_TYPES.failed : needsPerson ? DETAIL_TYPES.decide : DETAIL_TYPES.other;
  const channels: Array<[string, () => Promise<unknown>]> = [
    ['metrics', () => cloudWatchClient(config.controlRegion).send(new PutMetricDataCommand({ Namespace: config.namespace, MetricData: metricsOf(receipt) }))],
    [
      'event',
      () =>
        eventBridgeClient(config.controlRegion).send(
          new PutEventsCommand({
            Entries: [{ Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(receipt), EventBusName: eventBusName() }],
          }),
        ),
    ],
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
