import type { EC2Client } from '@aws-sdk/client-ec2';
import { FENCED_TAG, instanceState, stopInstance, tagInstance } from '../aws/ec2';
import { isTransientAwsError, isUnreachableAwsError } from '../aws/errors';
import type { NodeConfig } from '../config/schema';
import type { FenceFacts } from '../decisions/fence';
import { sleep as realSleep } from '../time';

export interface FenceDeps {
  ec2: EC2Client;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Between two looks at the instance's state, and between two throttled attempts. @default 500 */
  pollMs?: number;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; unreachable: boolean; message: string };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Tags the old writer's instance with the incident, stops it (force) and waits until EC2 reports
 * it `stopped` or the deadline passes; returns what it saw, for `judgeFence` to decide. A throttled
 * call is retried until the deadline (a throttle that does not end is a refusal, not an outage);
 * a call that gets no answer at all is not retried beyond the SDK's own attempts unless the
 * instance was already seen answering. Safe to run twice: the tag is overwritten with the same
 * value and stopping a stopped instance changes nothing.
 */
export const fenceInstance = async (node: NodeConfig, incident: string, timeoutSeconds: number, deps: FenceDeps): Promise<FenceFacts> => {
  const now = deps.now ?? Date.now;
  const pause = deps.sleep ?? realSleep;
  const pollMs = deps.pollMs ?? 500;
  const startedAt = now();
  const deadline = startedAt + timeoutSeconds * 1000;
  const facts: FenceFacts = {
    node: node.name,
    instanceId: node.instanceId,
    region: node.region,
    lastSeenState: null,
    refusal: null,
    unreachable: null,
    tagged: false,
    tagProblem: null,
    waitedMs: 0,
  };
  const attempt = async <T>(call: () => Promise<T>): Promise<Attempt<T>> => {
    for (;;) {
      try {
        return { ok: true, value: await call() };
      } catch (error) {
        if (isUnreachableAwsError(error)) {
          facts.unreachable = message(error);
          return { ok: false, unreachable: true, message: message(error) };
        }
        if (!isTransientAwsError(error) || now() >= deadline) {
          const suffix = isTransientAwsError(error) ? ` (still failing after ${timeoutSeconds} s)` : '';
          return { ok: false, unreachable: false, message: `${message(error)}${suffix}` };
        }
        await pause(pollMs);
      }
    }
  };

  const tag = await attempt(() => tagInstance(deps.ec2, node.instanceId, FENCED_TAG, incident));
  if (tag.ok) facts.tagged = true;
  else facts.tagProblem = tag.message;

  const stop = await attempt(() => stopInstance(deps.ec2, node.instanceId));
  if (!stop.ok && !stop.unreachable) {
    facts.refusal = stop.message;
    facts.waitedMs = now() - startedAt;
    return facts;
  }
  if (stop.ok) facts.lastSeenState = stop.value;

  for (;;) {
    const seen = await attempt(() => instanceState(deps.ec2, node.instanceId));
    if (seen.ok) facts.lastSeenState = seen.value;
    else if (!seen.unreachable) facts.refusal = `cannot read the instance state: ${seen.message}`;
    const stopped = facts.lastSeenState === 'stopped' || facts.lastSeenState === 'terminated';
    // Nothing ever answered: the region is out, waiting longer proves nothing.
    const neverAnswered = facts.lastSeenState === null && !seen.ok;
    if (stopped || facts.refusal !== null || neverAnswered || now() >= deadline) break;
    await pause(pollMs);
  }
  facts.waitedMs = now() - startedAt;
  return facts;
};
