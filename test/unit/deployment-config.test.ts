import { parseConfig } from '../../shared/config/load';
import { clientEndpoint } from '../../shared/config/cluster-context';
import { ConfigError } from '../../shared/errors';
import { stackDeployment } from '../../shared/config/stack-deployment';
import { lambda } from '../../shared/lambda';
import { setLogSink } from '../../shared/log';
import { sslOptions } from '../../shared/postgres/tls';
import { repointDatabaseUrl } from '../../shared/database-url';
import * as z from 'zod';
import { aConfig } from '../fixtures/config';

const refusal = (raw: unknown): string => {
  try {
    parseConfig(raw, 'clusters.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

/** The example with the control plane in `regions` only (one region: no shared store needed). */
const inRegions = (...regions: string[]) => {
  const config = aConfig() as unknown as Record<string, any>;
  config.controlRegions = regions;
  delete config.controlRegion;
  if (regions.length === 1) delete config.deployment.writerLease;
  return config;
};

const VPC = { subnetIds: ['subnet-0a1b2c3d4e5f60718'], securityGroupIds: ['sg-0a1b2c3d4e5f6071a'] };
const OTHER_VPC = { subnetIds: ['subnet-0b2c3d4e5f6071829'], securityGroupIds: ['sg-0b2c3d4e5f607182b'] };
const topicIn = (region: string) => `arn:aws:sns:${region}:123456789012:pgfo-alerts`;
const keyIn = (region: string) => `arn:aws:kms:${region}:123456789012:key/1f2e3d4c-5b6a-4789-8abc-def012345678`;

describe('deployment configuration rules', () => {
  it("refuses a control plane whose only region holds a node (the primary's or the DR's), naming the region and the nodes", () => {
    expect(refusal(inRegions('us-east-1'))).toMatch(/controlRegions: no control region outside us-east-1, where orders\/primary, orders\/standby_az2 are/);
    expect(refusal(inRegions('us-west-2'))).toMatch(/controlRegions: no control region outside us-west-2, where orders\/standby_dr is/);
    expect(parseConfig(inRegions('us-east-2'), 'x').controlRegions).toEqual(['us-east-2']);
  });

  it('accepts the same region only with the explicit override', () => {
    const config = inRegions('us-east-1');
    config.allowControlRegionWithPrimary = true;
    expect(parseConfig(config, 'x').controlRegion).toBe('us-east-1');
  });

  it('refuses a configuration without a witness unless cross-region promotion without one is explicitly allowed', () => {
    const config = aConfig();
    delete config.witnessRegion;
    expect(refusal(config)).toMatch(/witnessRegion: not set: .*allowCrossRegionWithoutWitness: true/);
    config.allowCrossRegionWithoutWitness = true;
    expect(parseConfig(config, 'x').witnessRegion).toBeUndefined();
  });

  it('refuses a witness in a control region or in any node\'s region, naming why', () => {
    const config = aConfig();
    config.witnessRegion = 'us-west-2';
    const message = refusal(config);
    expect(message).toMatch(/witnessRegion: must differ from every control region \(us-west-2 is one\)/);
    expect(message).toMatch(/witnessRegion: must differ from every node's region \(clusters\[0\] orders: standby_dr is in us-west-2\); after a failover to standby_dr/);
    config.witnessRegion = 'us-east-1';
    expect(refusal(config)).toMatch(/primary is in us-east-1\); the witness would fail with the writer it judges/);
  });

  it('refuses a CA bundle under an sslmode that does not verify, and two CA sources at once', () => {
    const config = aConfig();
    config.clusters[0]!.nodes[1]!.tls = { sslmode: 'require', caFile: 'config/ca/example-ca.pem' };
    config.clusters[0]!.tls = { sslmode: 'verify-ca', caFile: 'ca.pem', caParameter: '/pgfo/ca' };
    const message = refusal(config);
    expect(message).toContain('clusters[0].nodes[1].tls: caFile, caParameter and serverName need sslmode verify-ca or verify-full (got "require")');
    expect(message).toContain('clusters[0].tls: set caFile or caParameter, not both');
  });

  it('refuses a CA file outside the service and a malformed VPC setting, naming the fields', () => {
    const config = aConfig() as unknown as Record<string, any>;
    config.clusters[0].tls = { sslmode: 'verify-full', caFile: 'certs/../../etc/ca.pem' };
    expect(refusal(config)).toContain('clusters[0].tls.caFile: must stay inside the service');
    const vpc = aConfig() as unknown as Record<string, any>;
    vpc.deployment = { ...vpc.deployment, vpc: { subnetIds: ['net-1'], securityGroupIds: [] }, regions: { 'us-east-2': { vpc: { subnetIds: ['subnet-0b2c3d4e5f6071829'], securityGroupIds: ['sg-1'] } } } };
    const message = refusal(vpc);
    expect(message).toMatch(/deployment\.vpc\.subnetIds\[0\]: a subnet id/);
    expect(message).toMatch(/deployment\.vpc\.securityGroupIds: /);
    expect(message).toMatch(/deployment\.regions\.us-east-2\.vpc\.securityGroupIds\[0\]: a security group id/);
  });

  it('defaults to no VPC, no regional settings, a created topic and reserved concurrency for the monitor and the trigger', () => {
    const config = inRegions('us-east-2');
    delete config.deployment;
    expect(parseConfig(config, 'x').deployment).toEqual({ notifications: { emails: [] }, tags: {}, reservedConcurrency: { monitor: 2, trigger: 5 } });
  });
});

describe('the regional settings of each control region\'s stack', () => {
  it('gives the home region the top-level vpc and key and every other control region its own under deployment.regions', () => {
    const config = aConfig();
    config.deployment = { ...config.deployment, vpc: VPC, kmsKeyArn: keyIn('us-west-2'), regions: { 'us-east-2': { vpc: OTHER_VPC, kmsKeyArn: keyIn('us-east-2') } } };
    const parsed = parseConfig(config, 'x');
    expect(stackDeployment(parsed, 'us-west-2')).toEqual({ vpc: VPC, kmsKeyArn: keyIn('us-west-2') });
    expect(stackDeployment(parsed, 'us-east-2')).toEqual({ vpc: OTHER_VPC, kmsKeyArn: keyIn('us-east-2') });
  });

  it('refuses a control region left without a VPC, a key or a topic while the home region has one, naming the missing field', () => {
    const config = aConfig();
    config.deployment = { ...config.deployment, vpc: VPC, kmsKeyArn: keyIn('us-west-2'), notifications: { emails: [], topicArn: topicIn('us-west-2') } };
    const message = refusal(config);
    expect(message).toMatch(/deployment\.regions\.us-east-2\.vpc: not set, while deployment\.vpc is: the stack in us-east-2 needs subnets and security groups of its own region/);
    expect(message).toMatch(/deployment\.regions\.us-east-2\.kmsKeyArn: not set, while deployment\.kmsKeyArn is/);
    expect(message).toMatch(/deployment\.regions\.us-east-2\.topicArn: not set, while deployment\.notifications\.topicArn is/);
    config.deployment.regions = { 'us-east-2': { vpc: OTHER_VPC, kmsKeyArn: keyIn('us-east-2'), topicArn: topicIn('us-east-2') } };
    expect(stackDeployment(parseConfig(config, 'x'), 'us-east-2')).toEqual({ vpc: OTHER_VPC, kmsKeyArn: keyIn('us-east-2'), topicArn: topicIn('us-east-2') });
    // Without a VPC or key in the home region, none is needed elsewhere.
    expect(parseConfig(aConfig(), 'x').deployment.regions).toBeUndefined();
  });

  it('refuses a key or a topic of another region than its stack, and regional settings for the home or a region outside controlRegions', () => {
    const config = aConfig();
    config.deployment = { ...config.deployment, kmsKeyArn: keyIn('us-east-2'), regions: { 'us-east-2': { kmsKeyArn: keyIn('us-east-2'), topicArn: topicIn('us-west-2') }, 'us-west-2': {}, 'eu-west-1': {} } };
    const message = refusal(config);
    expect(message).toContain('deployment.kmsKeyArn: in us-east-2, but it serves the stack in us-west-2, which reads its credential parameters there');
    expect(message).toContain('deployment.regions.us-east-2.topicArn: in us-west-2, but it serves the stack in us-east-2');
    expect(message).toContain('deployment.regions.us-west-2: us-west-2 is the home region (controlRegions[0]): its settings are deployment.vpc, deployment.kmsKeyArn and deployment.notifications.topicArn');
    expect(message).toContain('deployment.regions.eu-west-1: eu-west-1 is not one of controlRegions (us-west-2, us-east-2)');
    expect(message).not.toContain('deployment.regions.us-east-2.kmsKeyArn');
  });
});

describe('TLS options of a session (libpq sslmode semantics)', () => {
  const cert = { subject: { CN: 'pg-primary.internal' }, subjectaltname: 'DNS:pg-primary.internal' } as never;

  it('opens plain text sessions only when TLS is disabled or not configured', async () => {
    expect(await sslOptions(undefined)).toBe(false);
    expect(await sslOptions({ sslmode: 'disable' })).toBe(false);
    expect(await sslOptions({ sslmode: 'require' })).toEqual({ rejectUnauthorized: false });
  });

  it('verify-full checks the configured server name, not the address connected to', async () => {
    const options = await sslOptions({ sslmode: 'verify-full', caParameter: '/pgfo/ca', serverName: 'pg-primary.internal' }, async () => 'PEM');
    expect(options).toMatchObject({ rejectUnauthorized: true, ca: 'PEM' });
    const verify = (options as { checkServerIdentity: (host: string, c: unknown) => Error | undefined }).checkServerIdentity;
    expect(verify('10.0.0.5', cert)).toBeUndefined();
    const other = await sslOptions({ sslmode: 'verify-full' });
    expect((other as { checkServerIdentity: (host: string, c: unknown) => Error | undefined }).checkServerIdentity('10.0.0.5', cert)).toHaveProperty('code', 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('verify-ca checks the chain but not the name', async () => {
    const options = await sslOptions({ sslmode: 'verify-ca', caFile: 'config/ca/example-ca.pem' });
    expect(options).toMatchObject({ rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') });
    expect((options as { checkServerIdentity: (host: string, c: unknown) => Error | undefined }).checkServerIdentity('10.0.0.5', cert)).toBeUndefined();
  });

  it('fails instead of connecting unverified when the CA cannot be read', async () => {
    await expect(sslOptions({ sslmode: 'verify-full', caFile: 'config/ca/missing.pem' })).rejects.toThrow(/tls\.caFile config\/ca\/missing\.pem: cannot read the CA bundle: ENOENT/);
    await expect(sslOptions({ sslmode: 'verify-ca', caParameter: '/pgfo/ca' })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('client-facing host of a node', () => {
  it('rewrites DATABASE_URL to the client host and port when configured, else to the address', () => {
    const node = aConfig().clusters[0]!.nodes[0]!;
    expect(clientEndpoint(node)).toEqual({ host: node.host, port: node.port });
    const named = { ...node, clientHost: 'pg-primary.use1.orders.internal', clientPort: 6432 };
    const url = repointDatabaseUrl('postgresql://app:pw@old.internal:5432/orders?sslmode=verify-full', clientEndpoint(named).host, clientEndpoint(named).port);
    expect(url).toBe('postgresql://app:pw@pg-primary.use1.orders.internal:6432/orders?sslmode=verify-full');
  });
});

describe('log lines of an invocation', () => {
  it('carry the request id, the function, the cluster and the execution name', async () => {
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const handler = lambda('selectCandidate', async () => {
        await Promise.resolve();
        throw new Error('boom');
      }, { input: z.looseObject({ cluster: z.string(), executionName: z.string() }) });
      await expect(
        (handler as unknown as (e: unknown, c: unknown) => Promise<unknown>)({ cluster: 'orders', executionName: 'orders-alarm-1' }, { awsRequestId: 'req-1' }),
      ).rejects.toThrow('boom');
    } finally {
      setLogSink(previous);
    }
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ message: 'invocation failed', requestId: 'req-1', function: 'selectCandidate', cluster: 'orders', execution: 'orders-alarm-1' }),
    );
  });
});
