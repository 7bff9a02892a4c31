import { Route53Client } from '@aws-sdk/client-route-53';
import { clientTimeouts, perRegion } from '../clients';

/** Route 53 is global; its API lives in us-east-1. */
export const route53Client = () => perRegion('route53', (region) => new Route53Client({ region, ...clientTimeouts }))('us-east-1');
