import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';

/**
 * One client per service and region, created on first use and reused across invocations.
 * Endpoints, credentials and retry counts come from the SDK's own environment variables
 * (AWS_ENDPOINT_URL*, AWS_MAX_ATTEMPTS, ...): there is no test-only branch here.
 * Every client has explicit connect and request timeouts: a region that does not answer must
 * fail a call in seconds, not hang a failover.
 */
const cache = new Map<string, unknown>();

const timeouts = { requestHandler: { connectionTimeout: 3000, requestTimeout: 10000 } };

const perRegion = <T>(service: string, create: (region: string) => T) => (region: string): T => {
  const key = `${service}:${region}`;
  let client = cache.get(key) as T | undefined;
  if (!client) {
    client = create(region);
    cache.set(key, client);
  }
  return client;
};

export const cloudWatchClient = perRegion('cloudwatch', (region) => new CloudWatchClient({ region, ...timeouts }));
export const ssmClient = perRegion('ssm', (region) => new SSMClient({ region, ...timeouts }));
export const ec2Client = perRegion('ec2', (region) => new EC2Client({ region, ...timeouts }));
export const dynamoClient = perRegion('dynamodb', (region) => new DynamoDBClient({ region, ...timeouts }));
export const eventBridgeClient = perRegion('events', (region) => new EventBridgeClient({ region, ...timeouts }));
/** Route 53 is global; its API lives in us-east-1. */
export const route53Client = () => perRegion('route53', (region) => new Route53Client({ region, ...timeouts }))('us-east-1');

/** Drops cached clients (after the environment's endpoints change, e.g. between local stacks). */
export const resetClients = (): void => cache.clear();
