import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientTimeouts, perRegion } from '../clients';

export const dynamoClient = /* @__PURE__ */ perRegion('dynamodb', (region) => new DynamoDBClient({ region, ...clientTimeouts }));
