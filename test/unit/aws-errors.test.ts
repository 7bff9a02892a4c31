import { classifyAwsError, isTransientAwsError, isUnreachableAwsError } from '../../shared/aws/errors';

const sdkError = (fields: Record<string, unknown>) => Object.assign(new Error(typeof fields.message === 'string' ? fields.message : 'x'), fields);

describe('AWS error classification', () => {
  it('reads connection errors and timeouts (no HTTP answer) as an unreachable API, also through a classified wrapper', () => {
    for (const error of [
      sdkError({ name: 'TimeoutError', code: 'ECONNRESET', message: 'socket hang up', $metadata: { attempts: 1 } }),
      sdkError({ name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }),
      new Error('AWS SDK error wrapper for TimeoutError: socket hang up'),
    ]) {
      expect(isUnreachableAwsError(error)).toBe(true);
      expect(isUnreachableAwsError(classifyAwsError(error, 'ec2:StopInstances'))).toBe(true);
      expect(classifyAwsError(error, 'ec2:StopInstances').name).toBe('AwsTransientError');
    }
  });

  it('never reads an answer as unreachable: access denied, validation, throttling, a 503, a parse error', () => {
    for (const error of [
      sdkError({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }),
      sdkError({ name: 'InvalidInstanceID.NotFound', $metadata: { httpStatusCode: 400 } }),
      sdkError({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }),
      sdkError({ name: 'Error', message: 'XML parse error', $metadata: { httpStatusCode: 503 } }),
      sdkError({ name: 'SyntaxError', message: 'Unexpected token' }),
    ]) {
      expect(isUnreachableAwsError(error)).toBe(false);
    }
  });

  it('keeps an already classified error as it is', () => {
    const transient = classifyAwsError(sdkError({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }), 'ec2:StopInstances');
    const permanent = classifyAwsError(sdkError({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }), 'ec2:StopInstances');
    expect([isTransientAwsError(transient), isTransientAwsError(permanent)]).toEqual([true, false]);
  });
});
