import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { classifyAwsError } from './errors';

/** EventBridge source of every event pgfo publishes. */
export const EVENT_SOURCE = 'pgfo';

/** Detail types of the events a failover or a switchover ends with, which applications subscribe to. */
export const DETAIL_TYPES = {
  /** A failover promoted a node, or a switchover moved the writer. */
  promoted: 'PostgreSQL Writer Changed',
  other: 'PostgreSQL Failover Not Performed',
  /** The outage stayed unconfirmed while the alarm stayed in ALARM, or the fence held the failover back: a person must decide. */
  decide: 'PostgreSQL Failover Needs A Decision',
  failed: 'PostgreSQL Failover Failed',
} as const;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/**
 * The fields every one of these events carries, whichever operation sent it: what a subscriber may
 * rely on (the ECS restart of docs/examples reads `cluster` and `promoted`). The rest of the detail
 * is the operation's own receipt.
 */
export interface WriterEventDetail {
  /** What sent it. */
  kind: 'failover' | 'switchover';
  cluster: string;
  /** The node that is the writer now; null when none was promoted. */
  promoted: string | null;
  previousPrimary: string | null;
  /** The DATABASE_URL parameters rewritten to the new writer (host and port: never a password). */
  databaseUrl: Array<{ region: string; name: string; host: string; port: number }>;
}

/** One PutEvents entry: the operation's receipt with the shared fields laid over it. */
export const writerEventEntry = (detailType: DetailType, detail: WriterEventDetail, receipt: object, busName: string) => ({
  Source: EVENT_SOURCE,
  DetailType: detailType,
  Detail: JSON.stringify({ ...receipt, ...detail }),
  EventBusName: busName,
});

export type EventEntry = ReturnType<typeof writerEventEntry>;

/**
 * Puts one event. PutEvents answers 200 even when it refused the entry (FailedEntryCount): that is
 * an error here too, naming the detail type and EventBridge's code.
 */
export const publishEvent = async (client: EventBridgeClient, entry: EventEntry): Promise<void> => {
  const out = await client.send(new PutEventsCommand({ Entries: [entry] })).catch((error: unknown) => {
    throw classifyAwsError(error, `events:PutEvents ${entry.DetailType}`);
  });
  if (out.FailedEntryCount) {
    const failed = out.Entries?.[0];
    throw new Error(`events:PutEvents refused the ${entry.DetailType} event: ${failed?.ErrorCode ?? 'no code'}: ${failed?.ErrorMessage ?? 'no message'}`);
  }
};
