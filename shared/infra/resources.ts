import { loadConfigFile } from '../config/load';
import type { FailoverConfig } from '../config/schema';
import { alarmDefinitions, alarmResource } from './alarms';
import { dashboardResources } from './dashboard';
import { lambdaRole, logStatement, putMetricsStatement, readCredentialsStatement } from './iam';

export interface GenerateOptions {
  config: FailoverConfig;
  service: string;
  stage: string;
}

/** Deployed Lambda name, as the Serverless Framework names it. */
export const functionName = (service: string, stage: string, fn: string) => `${service}-${stage}-${fn}`;

/** Every CloudFormation resource generated from the cluster configuration. */
export const generateResources = ({ config, service, stage }: GenerateOptions): Record<string, unknown> => {
  const prefix = `${service}-${stage}`;
  const alarms = alarmDefinitions(config, prefix);
  return {
    MonitorRole: lambdaRole('monitor', [
      logStatement(functionName(service, stage, 'monitor')),
      putMetricsStatement(config),
      readCredentialsStatement(config, ['monitor']),
    ]),
    ...Object.fromEntries(alarms.map((alarm) => [alarm.logicalId, alarmResource(alarm)])),
    ...dashboardResources(config, alarms, prefix),
  };
};

/**
 * Entry point for serverless.yml: validates the configuration at package time (a bad file stops
 * the build with the field named) and returns what the template needs.
 */
export const forServerless = (configFile: string, service: string, stage: string) => {
  const config = loadConfigFile(configFile);
  return {
    controlRegion: config.controlRegion,
    configFile,
    resources: generateResources({ config, service, stage }),
  };
};
