import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { classifyAwsError } from './errors';

/** A function that ran and failed (Lambda's X-Amz-Function-Error): its error, never its payload as a result. */
export class FunctionFailedError extends Error {
  constructor(functionName: string, detail: string) {
    super(`${functionName} failed: ${detail}`);
    this.name = 'FunctionFailedError';
  }
}

/**
 * Invokes a function synchronously with a JSON event and returns its JSON result.
 * @throws AwsTransientError/AwsPermanentError (the call), FunctionFailedError (the function).
 */
export const invokeJson = async <T>(client: LambdaClient, functionName: string, event: unknown): Promise<T> => {
  let out;
  try {
    out = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }));
  } catch (error) {
    throw classifyAwsError(error, `lambda:InvokeFunction ${functionName}`);
  }
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : 'null';
  if (out.FunctionError) {
    const parsed = (() => {
      try {
        return JSON.parse(text) as { errorType?: string; errorMessage?: string };
      } catch {
        return { errorMessage: text.slice(0, 500) };
      }
    })();
    throw new FunctionFailedError(functionName, `${parsed.errorType ?? out.FunctionError}: ${parsed.errorMessage ?? ''}`);
  }
  return JSON.parse(text) as T;
};
