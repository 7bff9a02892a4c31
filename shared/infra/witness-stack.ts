import { ConfigError } from '../errors';
import { loadConfigForStage } from '../config/load';
import { kmsThroughSsmStatement, lambdaRole, logStatement, readCredentialsStatement, vpcAccessStatement } from './iam';
import { witnessStatements } from './iam-failover';
import { deploymentNames } from './resources';

/**
 * The witness's stack (serverless.witness.yml), generated from the same configuration as the
 * control plane's: deployed into witnessRegion with one function and its role. The service is
 * `<control service>-witness`, so its function's name is the one the control plane invokes
 * (deploymentNames().witnessFunction).
 */
export const witnessForServerless = (configFile: string, controlService: string, stage: string, source = configFile) => {
  const config = loadConfigForStage(configFile, stage, source);
  if (config.witnessRegion === undefined) throw new ConfigError(`${source}: witnessRegion is not set: there is no witness stack to deploy`);
  const names = deploymentNames(controlService, stage);
  const { kmsKeyArn } = config.deployment;
  const witnessVpc = config.deployment.witnessVpc;
  const statements = [
    logStatement(names.witnessFunction),
    ...witnessStatements(config),
    readCredentialsStatement(config, ['failover']),
    ...(kmsKeyArn ? [kmsThroughSsmStatement(kmsKeyArn, config.controlRegion, ['Decrypt'])] : []),
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
