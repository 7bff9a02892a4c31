import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientTimeouts, perRegion } from '../clients';

export const dynamoClient = perRegion('dynamodb', (region) => new DynamoDBClient({ region, ...clientTimeouts }));
