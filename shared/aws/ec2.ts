import { CreateTagsCommand, DeleteTagsCommand, DescribeInstanceStatusCommand, DescribeTagsCommand, DescribeInstancesCommand, StopInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { classifyAwsError } from './errors';

/** The tag the fence writes on the instance it stops, naming the incident, before the stop; a rejoined node loses it. */
export const FENCED_TAG = 'pgfo:fenced';

export interface InstanceHealth {
  state: string;
  /** 'ok', 'impaired', 'initializing', 'not-applicable' ... */
  systemStatus: string;
  instanceStatus: string;
}

/** The tag that scopes the control plane's EC2 writes (IAM condition aws:ResourceTag/pgfo:cluster). */
export const CLUSTER_TAG = 'pgfo:cluster';

/** State and status checks of one instance. @throws AwsTransientError/AwsPermanentError */
export const instanceHealth = async (client: EC2Client, instanceId: string): Promise<InstanceHealth> => {
  try {
    const out = await client.send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }));
    const status = out.InstanceStatuses?.[0];
    return {
      state: status?.InstanceState?.Name ?? 'unknown',
      systemStatus: status?.SystemStatus?.Status ?? 'unknown',
      instanceStatus: status?.InstanceStatus?.Status ?? 'unknown',
    };
  } catch (error) {
    throw classifyAwsError(error, `ec2:DescribeInstanceStatus ${instanceId}`);
  }
};

/** Current state name of an instance ('running', 'stopping', 'stopped', ...). */
export const instanceState = async (client: EC2Client, instanceId: string): Promise<string> => {
  try {
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return out.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? 'unknown';
  } catch (error) {
    throw classifyAwsError(error, `ec2:DescribeInstances ${instanceId}`);
  }
};

/** Stops an instance hard (no guest shutdown: the point is that it stops accepting writes). */
export const stopInstance = async (client: EC2Client, instanceId: string): Promise<string> => {
  try {
    const out = await client.send(new StopInstancesCommand({ InstanceIds: [instanceId], Force: true }));
    return out.StoppingInstances?.[0]?.CurrentState?.Name ?? 'unknown';
  } catch (error) {
    throw classifyAwsError(error, `ec2:StopInstances ${instanceId}`);
  }
};

/** Removes one tag from an instance (absent already: nothing to do). */
export const untagInstance = async (client: EC2Client, instanceId: string, key: string): Promise<void> => {
  try {
    await client.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: key }] }));
  } catch (error) {
    throw classifyAwsError(error, `ec2:DeleteTags ${key} ${instanceId}`);
  }
};

/** The tags of one instance, by key. */
export const instanceTags = async (client: EC2Client, instanceId: string): Promise<Record<string, string>> => {
  try {
    const out = await client.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId] }] }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (error) {
    throw classifyAwsError(error, `ec2:DescribeTags ${instanceId}`);
  }
};

/** Sets one tag on an instance (overwrites the same key: safe to repeat; EC2 keeps 256 characters of a value). */
export const tagInstance = async (client: EC2Client, instanceId: string, key: string, value: string): Promise<void> => {
  try {
    await client.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: key, Value: value.slice(0, 256) }] }));
  } catch (error) {
    throw classifyAwsError(error, `ec2:CreateTags ${key} ${instanceId}`);
  }
};

/**
 * Asks EC2 whether this role may stop the instance, without stopping it (`DryRun`): AWS answers
 * `DryRunOperation` when the call would have succeeded and `UnauthorizedOperation` when it would
 * not. Returns true for the former. @throws AwsTransientError/AwsPermanentError otherwise
 */
export const mayStopInstance = async (client: EC2Client, instanceId: string): Promise<true> => {
  try {
    await client.send(new StopInstancesCommand({ InstanceIds: [instanceId], Force: true, DryRun: true }));
  } catch (error) {
    if ((error as Error).name === 'DryRunOperation') return true;
    throw classifyAwsError(error, `ec2:StopInstances (DryRun) ${instanceId}`);
  }
  // A DryRun call never succeeds in AWS; an emulator that stopped the instance must not pass unnoticed.
  throw classifyAwsError(new Error('DryRun StopInstances returned success instead of DryRunOperation'), `ec2:StopInstances (DryRun) ${instanceId}`);
};
