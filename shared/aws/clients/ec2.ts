import { EC2Client } from '@aws-sdk/client-ec2';
import { clientTimeouts, perRegion } from '../clients';

export const ec2Client = /* @__PURE__ */ perRegion('ec2', (region) => new EC2Client({ region, ...clientTimeouts }));
