import { AwsPermanentError, AwsTransientError } from '../errors';

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'PriorRequestNotComplete',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when retrying the same call later may succeed. */
export const isTransientAwsError = (error: unknown): boolean => {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (e?.$retryable) return true;
  if (e?.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e?.code && TRANSIENT_CODES.has(e.code)) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
};

/** Wraps an SDK error into the named error the state machine retries or catches. */
export const classifyAwsError = (error: unknown, what: string): AwsTransientError | AwsPermanentError => {
  const e = error as { name?: string; message?: string };
  const text = `${what} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
  return isTransientAwsError(error) ? new AwsTransientError(text, { cause: error }) : new AwsPermanentError(text, { cause: error });
};
