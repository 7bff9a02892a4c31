import { SSMClient } from '@aws-sdk/client-ssm';
import { clientTimeouts, perRegion } from '../clients';

export const ssmClient = perRegion('ssm', (region) => new SSMClient({ region, ...clientTimeouts }));
