import type { DeploymentConfig, FailoverConfig } from './schema';

/** The settings of one control region's stack that belong to that region: its network and its key. */
export type RegionalDeployment = Pick<DeploymentConfig, 'vpc' | 'kmsKeyArn'>;

/**
 * The regional settings of the stack in `region`: the top-level deployment.vpc and kmsKeyArn for
 * the home region (controlRegions[0]), deployment.regions.<region> for any other control region
 * (never the home's: a subnet, a security group or a key exists in one region only).
 */
export const stackDeployment = (config: Pick<FailoverConfig, 'controlRegions' | 'deployment'>, region: string): RegionalDeployment => {
  if (region === config.controlRegions[0]) return { vpc: config.deployment.vpc, kmsKeyArn: config.deployment.kmsKeyArn };
  const own = config.deployment.regions?.[region];
  return { vpc: own?.vpc, kmsKeyArn: own?.kmsKeyArn };
};

/** The region an ARN names (arn:PARTITION:SERVICE:REGION:ACCOUNT:...). */
const regionOfArn = (arn: string): string | undefined => arn.split(':')[3] || undefined;

/**
 * deployment.regions names only control regions other than the home one; a control region has a
 * VPC (a key) of its own whenever the home region's stack has one, since the home's cannot serve
 * it; a key lives in the region of the stack it serves (SSM and SNS use a key of their own region).
 */
export const stackDeploymentProblems = (config: FailoverConfig): string[] => {
  const [home, ...others] = config.controlRegions;
  const problems: string[] = [];
  for (const region of Object.keys(config.deployment.regions ?? {}).filter((r) => !others.includes(r))) {
    problems.push(
      region === home
        ? `deployment.regions.${region}: ${region} is the home region (controlRegions[0]): its settings are deployment.vpc and deployment.kmsKeyArn`
        : `deployment.regions.${region}: ${region} is not one of controlRegions (${config.controlRegions.join(', ')})`,
    );
  }
  for (const region of others) {
    const own = stackDeployment(config, region);
    if (config.deployment.vpc && !own.vpc) {
      problems.push(`deployment.regions.${region}.vpc: not set, while deployment.vpc is: the stack in ${region} needs subnets and security groups of its own region (deployment.vpc's are the home region ${home}'s)`);
    }
    if (config.deployment.kmsKeyArn && !own.kmsKeyArn) {
      problems.push(`deployment.regions.${region}.kmsKeyArn: not set, while deployment.kmsKeyArn is: the stack in ${region} reads its credential parameters there, encrypted with a key of that region (deployment.kmsKeyArn is the home region ${home}'s)`);
    }
  }
  for (const region of config.controlRegions) {
    const { kmsKeyArn } = stackDeployment(config, region);
    const field = region === home ? 'deployment.kmsKeyArn' : `deployment.regions.${region}.kmsKeyArn`;
    const keyRegion = kmsKeyArn === undefined ? undefined : regionOfArn(kmsKeyArn);
    if (keyRegion !== undefined && keyRegion !== region) problems.push(`${field}: a key in ${keyRegion}, but it serves the stack in ${region}: SSM and SNS encrypt with a key of their own region`);
  }
  return problems;
};
