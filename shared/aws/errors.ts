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
/** Socket-level failures: the request never got an answer from the service. */
const NO_ANSWER_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
]);
/** The SDK's own names for a request that timed out or was cut before any answer came back. */
const NO_ANSWER_NAMES = new Set(['TimeoutError', 'AbortError']);

type SdkError = { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; cause?: unknown };

/** True when retrying the same call later may succeed. */
export const isTransientAwsError = (error: unknown): boolean => {
  const e = error as SdkError;
  if (error instanceof AwsTransientError || error instanceof AwsPermanentError) return error instanceof AwsTransientError;
  if (e?.$retryable) return true;
  if (e?.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e?.code && NO_ANSWER_CODES.has(e.code)) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
};

/**
 * True when the service never answered: a connection refused, reset or timed out, a name that did
 * not resolve. Any HTTP answer — an access denial, a validation error, a throttle, even a 5xx — is
 * an answer: the API is there. Looks through `cause` (classified errors keep the SDK's error there).
 * This is the only evidence that a region's API is unreachable; nothing else may be read as that.
 */
export const isUnreachableAwsError = (error: unknown): boolean => {
  for (let e = error as SdkError | undefined, depth = 0; e && depth < 5; e = e.cause as SdkError | undefined, depth += 1) {
    if (e.$metadata?.httpStatusCode !== undefined) return false;
    if ((e.code && NO_ANSWER_CODES.has(e.code)) || (e.name && NO_ANSWER_NAMES.has(e.name))) return true;
    // The SDK's retry middleware replaces an error it does not recognise as an Error (one from
    // another realm, such as a socket error seen inside a VM context) by "AWS SDK error wrapper for
    // <name>: <message>": only the text says what happened then.
    const wrapped = /^AWS SDK error wrapper for (\w+)(?:: (.*))?$/.exec(e.message ?? '');
    if (wrapped && (NO_ANSWER_NAMES.has(wrapped[1]!) || [...NO_ANSWER_CODES].some((code) => wrapped[2]?.includes(code)))) return true;
  }
  return false;
};

/** Wraps an SDK error into the named error the state machine retries or catches. */
export const classifyAwsError = (error: unknown, what: string): AwsTransientError | AwsPermanentError => {
  const e = error as SdkError;
  const text = `${what} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
  return isTransientAwsError(error) || isUnreachableAwsError(error)
    ? new AwsTransientError(text, { cause: error })
    : new AwsPermanentError(text, { cause: error });
};
