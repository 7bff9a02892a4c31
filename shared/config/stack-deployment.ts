import type { DeploymentConfig, FailoverConfig } from './schema';

/** The settings of one control region's stack that belong to that region: its network, its key, its topic. */
export interface RegionalDeployment {
  vpc: DeploymentConfig['vpc'];
  kmsKeyArn: string | undefined;
  topicArn: string | undefined;
}

/**
 * The regional settings of the stack in `region`: the top-level deployment.vpc, kmsKeyArn and
 * notifications.topicArn for the home region (controlRegions[0]), deployment.regions.<region> for
 * any other control region (never the home's: a subnet, a key or a topic exists in one region only).
 */
export const stackDeployment = (config: Pick<FailoverConfig, 'controlRegions' | 'deployment'>, region: string): RegionalDeployment => {
  const { deployment } = config;
  if (region === config.controlRegions[0]) return { vpc: deployment.vpc, kmsKeyArn: deployment.kmsKeyArn, topicArn: deployment.notifications.topicArn };
  const own = deployment.regions?.[region];
  return { vpc: own?.vpc, kmsKeyArn: own?.kmsKeyArn, topicArn: own?.topicArn };
};

/** The region an ARN names (arn:PARTITION:SERVICE:REGION:ACCOUNT:...). */
const regionOfArn = (arn: string): string | undefined => arn.split(':')[3] || undefined;

/** Each regional setting: the home's field, and why another region cannot use it. */
const SETTINGS = [
  { key: 'vpc', home: 'deployment.vpc', why: 'needs subnets and security groups of its own region' },
  { key: 'kmsKeyArn', home: 'deployment.kmsKeyArn', why: 'reads its credential parameters there, encrypted with a key of that region' },
  { key: 'topicArn', home: 'deployment.notifications.topicArn', why: 'notifies a topic of its own region (alarms do not notify across regions)' },
] as const;

/**
 * deployment.regions names only control regions other than the home one; a control region has a
 * VPC (a key, a topic) of its own whenever the home region's stack has one, since the home's cannot
 * serve it; a key or a topic lives in the region of the stack it serves.
 */
export const stackDeploymentProblems = (config: FailoverConfig): string[] => {
  const [home, ...others] = config.controlRegions;
  const problems: string[] = [];
  for (const region of Object.keys(config.deployment.regions ?? {}).filter((r) => !others.includes(r))) {
    problems.push(
      region === home
        ? `deployment.regions.${region}: ${region} is the home region (controlRegions[0]): its settings are deployment.vpc, deployment.kmsKeyArn and deployment.notifications.topicArn`
        : `deployment.regions.${region}: ${region} is not one of controlRegions (${config.controlRegions.join(', ')})`,
    );
  }
  const homeSettings = stackDeployment(config, home!);
  for (const region of config.controlRegions) {
    const own = stackDeployment(config, region);
    for (const { key, home: homeField, why } of SETTINGS) {
      const field = region === home ? homeField : `deployment.regions.${region}.${key}`;
      if (region !== home && homeSettings[key] !== undefined && own[key] === undefined) {
        problems.push(`${field}: not set, while ${homeField} is: the stack in ${region} ${why} (${homeField} is the home region ${home}'s)`);
      }
      const value = own[key];
      const inRegion = typeof value === 'string' ? regionOfArn(value) : undefined;
      if (inRegion !== undefined && inRegion !== region) problems.push(`${field}: in ${inRegion}, but it serves the stack in ${region}, which ${why}`);
    }
  }
  return problems;
};
