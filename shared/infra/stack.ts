import { ConfigError } from '../errors';
import type { FailoverConfig } from '../config/schema';
import { stackDeployment } from '../config/stack-deployment';

/**
 * The configuration one control region's stack is generated from: `controlRegion` is the region
 * being deployed (as the functions see it once deployed, shared/config/load.ts), and deployment.vpc,
 * kmsKeyArn and notifications.topicArn are that region's own (stackDeployment). `region` undefined: the home region.
 * @throws ConfigError naming controlRegions when `region` is not one of them.
 */
export const configForStack = (config: FailoverConfig, region: string | undefined, source: string): FailoverConfig => {
  const home = config.controlRegions[0]!;
  const stack = region ?? home;
  if (!config.controlRegions.includes(stack)) {
    throw new ConfigError(
      `${source}: --region ${stack} is not one of controlRegions (${config.controlRegions.join(', ')}): the control plane's stack is deployed to those regions only, the home region ${home} first`,
    );
  }
  const { vpc, kmsKeyArn, topicArn } = stackDeployment(config, stack);
  const deployment = { ...config.deployment, vpc, kmsKeyArn, notifications: { ...config.deployment.notifications, topicArn } };
  return { ...config, controlRegion: stack, deployment };
};

/** Whether the stack is the home region's (controlRegions[0]): the one that creates the shared table. */
export const isHomeStack = (config: FailoverConfig): boolean => config.controlRegion === config.controlRegions[0];

/**
 * The prefix of names IAM and CloudWatch dashboards keep for the whole account (not per region):
 * `<service>-<stage>` for the home stack, `<service>-<stage>-<region>` for the others, so that the
 * stacks of one account do not collide and the home's names stay those of a one-region deployment
 * (adding a control region replaces nothing in the home stack).
 */
export const accountWidePrefix = (config: FailoverConfig, prefix: string): string => (isHomeStack(config) ? prefix : `${prefix}-${config.controlRegion}`);
