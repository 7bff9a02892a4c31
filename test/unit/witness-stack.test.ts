import { loadConfigFile } from '../../shared/config/load';
import { stackDeployment } from '../../shared/config/stack-deployment';
import { LOCAL_STAGE } from '../../shared/config/stage-guard';
import { ConfigError } from '../../shared/errors';
import { witnessForServerless } from '../../shared/infra/witness-stack';

/** The real-account example: two control regions, each with its own key. */
const CONFIG_FILE = 'config/clusters.aws-example.yml';

describe("the witness's stack, invoked by every control region's stack", () => {
  const config = loadConfigFile(CONFIG_FILE);
  const statements = () =>
    (witnessForServerless(CONFIG_FILE, 'pgfo', LOCAL_STAGE).resources.WitnessRole.Properties.Policies[0]!.PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown; Condition?: unknown }>);

  it("may read the failover login's password in every control region, each through SSM with that region's own key", () => {
    const reads = statements().filter((s) => s.Action.includes('ssm:GetParameter')).flatMap((s) => [s.Resource].flat().map((r) => JSON.stringify(r)));
    for (const region of config.controlRegions) expect(reads).toContain(JSON.stringify({ 'Fn::Sub': `arn:\${AWS::Partition}:ssm:${region}:\${AWS::AccountId}:parameter/pgfo/orders/failover-password` }));
    expect(reads.some((r) => r.includes('monitor-password'))).toBe(false);
    const keys = statements().filter((s) => s.Action.includes('kms:Decrypt'));
    expect(keys).toEqual(
      config.controlRegions.map((region) => expect.objectContaining({ Resource: stackDeployment(config, region).kmsKeyArn, Condition: { StringEquals: { 'kms:ViaService': `ssm.${region}.amazonaws.com` } } })),
    );
  });

  it('is packaged for witnessRegion only, and refuses another --region naming it', () => {
    expect(witnessForServerless(CONFIG_FILE, 'pgfo', LOCAL_STAGE, CONFIG_FILE, config.witnessRegion).witnessRegion).toBe(config.witnessRegion);
    expect(() => witnessForServerless(CONFIG_FILE, 'pgfo', LOCAL_STAGE, CONFIG_FILE, 'us-east-2')).toThrow(ConfigError);
    expect(() => witnessForServerless(CONFIG_FILE, 'pgfo', LOCAL_STAGE, CONFIG_FILE, 'us-east-2')).toThrow(`--region us-east-2 is not witnessRegion (${config.witnessRegion})`);
  });
});
