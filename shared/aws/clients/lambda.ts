import { LambdaClient } from '@aws-sdk/client-lambda';
import { perRegion } from '../clients';

/**
 * The witness is asked through Lambda Invoke in its own region, with one attempt: a witness that
 * does not answer in time is "unknown", never retried into the confirmation's time. A look (a
 * database probe and one EC2 call) answers within 20 s; a fence waits for the instance to stop
 * (at most 100 s, WITNESS_FENCE_MAX_SECONDS) and gets 130 s.
 */
export const lambdaClient = /* @__PURE__ */ perRegion(
  'lambda',
  (region) => new LambdaClient({ region, maxAttempts: 1, requestHandler: { connectionTimeout: 3000, requestTimeout: 20_000, throwOnRequestTimeout: true } }),
);

export const lambdaFenceClient = /* @__PURE__ */ perRegion(
  'lambda-fence',
  (region) => new LambdaClient({ region, maxAttempts: 1, requestHandler: { connectionTimeout: 3000, requestTimeout: 130_000, throwOnRequestTimeout: true } }),
);
