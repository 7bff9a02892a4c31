import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { CreateDocumentCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { ClusterConfig, FailoverConfig } from '../shared/config/schema';
import { buildDatabaseUrl } from '../shared/database-url';
import { generateResources } from '../shared/infra/resources';

/** An image id the emulator knows in every region. */
const EMULATOR_AMI = 'ami-12c6146b';

export interface SeedSecrets {
  /** Password per SSM parameter name (credentials referenced by the configuration). */
  parameterPasswords: Record<string, string>;
  /** The application login per cluster, written into DATABASE_URL. */
  app: Record<string, { user: string; password: string }>;
  /** Stage name: resources are named as `serverless package --stage <stage>` names them. */
  stage: string;
}

const parentDomain = (record: string): string => record.split('.').slice(1).join('.') || record;

const writerOf = (cluster: ClusterConfig) => {
  const primary = cluster.nodes.find((node) => node.role === 'primary');
  if (!primary) throw new Error(`${cluster.name}: no primary`);
  return primary;
};

/** Creates the lease table exactly as serverless.yml declares it (one definition); returns its name. */
export const createLeaseTable = async (config: FailoverConfig, stage: string): Promise<string> => {
  const { LeaseTable } = generateResources({ config, service: 'pgfo', stage }) as {
    LeaseTable: { Type: string; Properties: Pick<CreateTableCommandInput, 'AttributeDefinitions' | 'KeySchema' | 'BillingMode'> & { TableName: string } & Record<string, unknown> };
  };
  // The emulator has no global tables: the global table (deployment.writerLease) is created as one
  // table with the same keys, its regions modelled by local/store-network.ts.
  const { TableName, AttributeDefinitions, KeySchema, BillingMode, DeletionProtectionEnabled, Tags } = LeaseTable.Properties;
  await new DynamoDBClient({ region: config.controlRegion }).send(
    new CreateTableCommand({ TableName, AttributeDefinitions, KeySchema, BillingMode, ...(typeof DeletionProtectionEnabled === 'boolean' ? { DeletionProtectionEnabled } : {}), ...(Array.isArray(Tags) ? { Tags: Tags as CreateTableCommandInput['Tags'] } : {}) }),
  );
  return TableName;
};

/** Creates the rejoin command document exactly as the deployment does (one definition). */
export const createRejoinDocument = async (config: FailoverConfig, stage: string): Promise<void> => {
  const { RejoinDocument } = generateResources({ config, service: 'pgfo', stage }) as {
    RejoinDocument: { Properties: { Name: string; Content: unknown; DocumentType: 'Command'; DocumentFormat: 'JSON' } };
  };
  const { Name, Content, DocumentType, DocumentFormat } = RejoinDocument.Properties;
  await new SSMClient({ region: config.controlRegion }).send(
    new CreateDocumentCommand({ Name, Content: JSON.stringify(Content), DocumentType, DocumentFormat }),
  );
};

/**
 * Creates in the emulator what the configuration refers to — hosted zone and record, EC2 instances
 * tagged per node in their regions, credential SecureStrings in every control region, DATABASE_URL
 * SecureStrings — and returns the
 * configuration with the ids the emulator assigned (zone ids and instance ids cannot be chosen).
 */
export const seedEmulator = async (config: FailoverConfig, secrets: SeedSecrets): Promise<FailoverConfig> => {
  const resolved: FailoverConfig = structuredClone(config);
  await createLeaseTable(config, secrets.stage);
  await createRejoinDocument(config, secrets.stage);
  const route53 = new Route53Client({ region: 'us-east-1' });
  const zones = new Map<string, string>();
  for (const cluster of resolved.clusters) {
    const placeholder = cluster.route53.hostedZoneId;
    let zoneId = zones.get(placeholder);
    if (!zoneId) {
      const zone = await route53.send(
        new CreateHostedZoneCommand({ Name: parentDomain(cluster.route53.recordName), CallerReference: `${placeholder}-${Date.now()}` }),
      );
      zoneId = (zone.HostedZone?.Id ?? '').replace('/hostedzone/', '');
      zones.set(placeholder, zoneId);
    }
    cluster.route53.hostedZoneId = zoneId;
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: cluster.route53.recordName,
                Type: 'CNAME',
                TTL: cluster.route53.ttl,
                ResourceRecords: [{ Value: writerOf(cluster).dnsName }],
              },
            },
          ],
        },
      }),
    );
    for (const node of cluster.nodes) {
      const ec2 = new EC2Client({ region: node.region });
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: EMULATOR_AMI,
          MinCount: 1,
          MaxCount: 1,
          InstanceType: 'r6g.large',
          Placement: { AvailabilityZone: node.az },
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: 'Name', Value: `${cluster.name}-${node.name}` },
                { Key: 'pgfo:cluster', Value: cluster.name },
                { Key: 'pgfo:node', Value: node.name },
              ],
            },
          ],
        }),
      );
      node.instanceId = out.Instances?.[0]?.InstanceId ?? node.instanceId;
    }
    // Each control region's stack reads the credentials from SSM in its own region.
    for (const region of resolved.controlRegions) {
      const ssmControl = new SSMClient({ region });
      for (const credential of Object.values(cluster.credentials)) {
        const password = secrets.parameterPasswords[credential.passwordParameter];
        if (password === undefined) throw new Error(`no password generated for ${credential.passwordParameter}`);
        await ssmControl.send(new PutParameterCommand({ Name: credential.passwordParameter, Value: password, Type: 'SecureString', Overwrite: true }));
      }
    }
    const app = secrets.app[cluster.name];
    if (!app) throw new Error(`no application login for ${cluster.name}`);
    const writer = writerOf(cluster);
    const url = buildDatabaseUrl({ ...app, host: writer.host, port: writer.port, database: cluster.database });
    for (const target of cluster.databaseUrlParameters) {
      await new SSMClient({ region: target.region }).send(
        new PutParameterCommand({ Name: target.name, Value: url, Type: 'SecureString', Overwrite: true }),
      );
    }
  }
  return resolved;
};
