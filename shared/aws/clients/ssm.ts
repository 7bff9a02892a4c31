import { SSMClient } from '@aws-sdk/client-ssm';
import { clientTimeouts, perRegion } from '../clients';

export const ssmClient = /* @__PURE__ */ perRegion('ssm', (region) => new SSMClient({ region, ...clientTimeouts }));
