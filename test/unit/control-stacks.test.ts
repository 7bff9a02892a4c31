import { ConfigError } from '../../shared/errors';
import { generateResources } from '../../shared/infra/resources';
import { configForStack } from '../../shared/infra/stack';
import { aConfig } from '../fixtures/config';

const topicIn = (region: string) => `arn:aws:sns:${region}:123456789012:pgfo-alerts`;

/** The resources of the stack in `region` of a configuration with an existing topic in each control region. */
const stackIn = (region: string) => {
  const config = aConfig();
  config.deployment.notifications.topicArn = topicIn('us-west-2');
  config.deployment.regions = { 'us-east-2': { topicArn: topicIn('us-east-2') } };
  return generateResources({ config: configForStack(config, region, 'clusters.yml'), service: 'pgfo', stage: 'prod' }) as Record<string, { Type: string; Properties: Record<string, any> }>;
};

describe('the stack of each control region', () => {
  it("sends every alarm of a stack to its own region's topic", () => {
    for (const region of ['us-west-2', 'us-east-2']) {
      const alarms = Object.values(stackIn(region)).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      expect(alarms.length).toBeGreaterThan(7);
      expect({ region, actions: [...new Set(alarms.flatMap((a) => a.Properties.AlarmActions))] }).toEqual({ region, actions: [topicIn(region)] });
    }
  });

  it('is generated only for a region of controlRegions, the error naming them', () => {
    expect(() => configForStack(aConfig(), 'eu-west-1', 'clusters.yml')).toThrow(ConfigError);
    expect(() => configForStack(aConfig(), 'eu-west-1', 'clusters.yml')).toThrow('clusters.yml: --region eu-west-1 is not one of controlRegions (us-west-2, us-east-2)');
    expect(configForStack(aConfig(), undefined, 'clusters.yml').controlRegion).toBe('us-west-2');
  });
});
