import type { FenceRecord } from './cluster-record';

/** What is known of a node the record fenced without confirmation (its instance was never seen stopped). */
export interface PendingFenceFacts {
  node: string;
  fence: FenceRecord;
  /** The instance's state from its region's EC2 API, or why the API gave none. */
  instance: { state: string } | { error: string };
}

export type PendingFenceVerdict =
  | { action: 'confirm'; reason: string }
  | { action: 'fence'; reason: string }
  | { action: 'wait'; reason: string };

/**
 * A failover that moved traffic while the old writer's region did not answer left its fence
 * unconfirmed: the instance may still run, and come back writable when the region does. Once the
 * region answers: stopped → the fence is confirmed; running or starting → tag it fenced (so that the
 * host guard keeps it a standby if it is started again) and stop it; stopping → wait for stopped.
 * No answer → nothing is done, and nothing is assumed. Pure.
 */
export const decidePendingFence = ({ node, fence, instance }: PendingFenceFacts): PendingFenceVerdict => {
  if ('error' in instance) {
    return { action: 'wait', reason: `${node}'s fence is still pending (${fence.reason}): its EC2 API gave no state (${instance.error}); tried again on the next run` };
  }
  const { state } = instance;
  if (state === 'stopped' || state === 'terminated' || state === 'shutting-down') {
    return { action: 'confirm', reason: `${node}'s instance is ${state}: the fence of ${fence.at} is confirmed` };
  }
  if (state === 'stopping') return { action: 'wait', reason: `${node}'s instance is stopping: the fence is confirmed once it is stopped` };
  return { action: 'fence', reason: `${node} was fenced without confirmation (${fence.reason}) and its instance is ${state}: tagged fenced and stopped now` };
};
