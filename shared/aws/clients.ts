import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SSMClient } from '@aws-sdk/client-ssm';

/**
 * One client per service and region, created on first use and reused across invocations.
 * Endpoints, credentials and retry counts come from the SDK's own environment variables
 * (AWS_ENDPOINT_URL*, AWS_MAX_ATTEMPTS, ...): there is no test-only branch here.
 */
const cache = new Map<string, unknown>();

const perRegion = <T>(service: string, create: (region: string) => T) => (region: string): T => {
  const key = `${service}:${region}`;
  let client = cache.get(key) as T | undefined;
  if (!client) {
    client = create(region);
    cache.set(key, client);
  }
  return client;
};

export const cloudWatchClient = perRegion('cloudwatch', (region) => new CloudWatchClient({ region }));
export const ssmClient = perRegion('ssm', (region) => new SSMClient({ region }));

/** Drops cached clients (after the environment's endpoints change, e.g. between local stacks). */
export const resetClients = (): void => cache.clear();
