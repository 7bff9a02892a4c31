import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { clientTimeouts, perRegion } from '../clients';

export const cloudWatchClient = /* @__PURE__ */ perRegion('cloudwatch', (region) => new CloudWatchClient({ region, ...clientTimeouts }));
