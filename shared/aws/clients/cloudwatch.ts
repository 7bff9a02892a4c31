import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { clientTimeouts, perRegion } from '../clients';

export const cloudWatchClient = perRegion('cloudwatch', (region) => new CloudWatchClient({ region, ...clientTimeouts }));
