import { DeleteTagsCommand, DescribeInstanceStatusCommand, DescribeInstancesCommand, StopInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { classifyAwsError } from './errors';

export interface InstanceHealth {
  state: string;
  /** 'ok', 'impaired', 'initializing', 'not-applicable' ... */
  systemStatus: string;
  instanceStatus: string;
}

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
