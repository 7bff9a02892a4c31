import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { clientTimeouts, perRegion } from '../clients';

export const eventBridgeClient = /* @__PURE__ */ perRegion('eventbridge', (region) => new EventBridgeClient({ region, ...clientTimeouts }));
