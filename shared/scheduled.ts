import * as z from 'zod';
import { nameSchema } from './config/schema';

/** An EventBridge schedule's own event (source aws.events), as opposed to an explicit request. */
export const isScheduledEvent = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && (event as Record<string, unknown>).source === 'aws.events';

/**
 * Input of a scheduled job over the clusters: the schedule's own event (every cluster), or one
 * cluster by name (drills, tests, operators).
 */
export const scheduledClusterInput = z.preprocess((event) => (isScheduledEvent(event) ? {} : event), z.strictObject({ cluster: nameSchema.optional() }));
