import { ConfigError } from '../errors';
import { loadConfigForStage } from '../config/load';
import { stackDeployment } from '../config/stack-deployment';
import { kmsThroughSsmStatement, lambdaRole, logStatement, readCredentialsStatement, vpcAccessStatement } from './iam';
import { witnessStatements } from './iam-failover';
import { deploymentNames } from './resources';

/**
 * The witness's stack (serverless.witness.yml), generated from the same configuration as the
 * control plane's: deployed into witnessRegion with one function and its role. The service is
 * `<control service>-witness`, so its function's name is the one the control plane invokes
 * (deploymentNames().witnessFunction).
 */
export const witnessForServerless = (configFile: string, controlService: string, stage: string, source = configFile, region?: string) => {
  const config = loadConfigForStage(configFile, stage, source);
  if (config.witnessRegion === undefined) throw new ConfigError(`${source}: witnessRegion is not set: there is no witness stack to deploy`);
  if (region !== undefined && region !== config.witnessRegion) {
    throw new ConfigError(`${source}: --region ${region} is not witnessRegion (${config.witnessRegion}): the witness's stack is deployed there only (leave --region out)`);
  }
  const names = deploymentNames(controlService, stage);
  const witnessVpc = config.deployment.witnessVpc;
  // Every control region's stack invokes the witness (same account: the invoking roles' policies
  // suffice, invokeWitnessStatements); it reads the failover login's password and CA parameters in
  // a control region's SSM, each encrypted with that region's key.
  const keys = config.controlRegions.flatMap((r) => {
    const { kmsKeyArn } = stackDeployment(config, r);
    return kmsKeyArn ? [kmsThroughSsmStatement(kmsKeyArn, r, ['Decrypt'])] : [];
  });
  const statements = [
    logStatement(names.witnessFunction),
    ...witnessStatements(config),
    readCredentialsStatement(config, ['failover'], config.controlRegions),
    ...keys,
    ...(witnessVpc ? [vpcAccessStatement()] : []),
  ];
  const caFiles = config.clusters.flatMap((c) => [c.tls, ...c.nodes.map((n) => n.tls)].flatMap((tls) => (tls?.caFile ? [tls.caFile] : [])));
  return {
    witnessRegion: config.witnessRegion,
    configFile,
    service: names.witnessService,
    packagePatterns: [...new Set([configFile, ...caFiles])],
    tags: config.deployment.tags,
    // As the control plane's stack does it: the VPC set on the generated function (none: outside any VPC).
    extensions: witnessVpc ? { WitnessLambdaFunction: { Properties: { VpcConfig: { SubnetIds: witnessVpc.subnetIds, SecurityGroupIds: witnessVpc.securityGroupIds } } } } : {},
    resources: { WitnessRole: lambdaRole('witness', statements) },
  };
};
