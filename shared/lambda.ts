import middy from '@middy/core';
import type { z } from 'zod';
import { InvalidInputError } from './errors';
import { formatPath } from './config/load';
import { log, withLogContext, type LogContext } from './log';
import { regionOfFunctionArn, withStackRegion } from './config/stack-region';

/**
 * A schema's object accepts any object, so a Map or a Date would read as {}. An event is JSON: a
 * plain object's prototype is Object.prototype (of whichever realm made it) or null.
 */
const isInstance = (event: unknown): boolean => {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  const prototype: unknown = Object.getPrototypeOf(event);
  return prototype !== null && Object.getPrototypeOf(prototype) !== null;
};

/**
 * Rejects an event that does not match `schema`, naming every bad field; the handler then never
 * runs, so nothing is changed. The parsed (defaulted) value replaces the event.
 */
export const validateInput = <S extends z.ZodType>(schema: S): middy.MiddlewareObj<unknown> => ({
  before: (request) => {
    if (isInstance(request.event)) throw new InvalidInputError('invalid request: (root): expected a JSON object');
    const result = schema.safeParse(request.event);
    if (!result.success) {
      const problems = result.error.issues.map((issue) =>
        issue.code === 'unrecognized_keys'
          ? `${formatPath(issue.path)}: unknown field(s) ${issue.keys.join(', ')}`
          : `${formatPath(issue.path)}: ${issue.message}`,
      );
      throw new InvalidInputError(`invalid request: ${problems.join('; ')}`);
    }
    request.event = result.data;
  },
});

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length <= 200 ? value : undefined);

/**
 * What every line of an invocation carries: the Lambda request id, the function, and from the event
 * (when it has them) the cluster and, inside the workflow, the execution name.
 */
export const invocationContext = (name: string, event: unknown, context: unknown): LogContext => {
  const fields = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const lambdaContext = typeof context === 'object' && context !== null ? (context as Record<string, unknown>) : {};
  return {
    requestId: text(lambdaContext.awsRequestId),
    function: name,
    cluster: text(fields.cluster),
    execution: text(fields.executionName),
  };
};

/** Logs a failed invocation once, by name and message (both already free of secrets). */
const logErrors = (name: string): middy.MiddlewareObj<unknown> => ({
  onError: (request) => {
    const error = request.error as Error | undefined;
    // middy types the context from @types/aws-lambda, which this project does not install.
    const context: unknown = request.context;
    withLogContext(invocationContext(name, request.event, context), () => log.error('invocation failed', { error }));
  },
});

/**
 * Wraps a plain async function as a Lambda handler: input validation first, error logging last.
 * The function itself stays testable without middy.
 */
/** What a function may read of its invocation: how long it has left. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export const lambda = <S extends z.ZodType, R>(
  name: string,
  fn: (input: z.output<S>, context?: InvocationContext) => Promise<R>,
  options: {
    input: S;
    /** The function belongs to the control-plane stack its ARN's region names (config/stack-region.ts). @default true; the witness (deployed outside every control region) sets false */
    stackFromArn?: boolean;
  },
) =>
  middy<z.output<S>, R>()
    .use(logErrors(name) as middy.MiddlewareObj<z.output<S>, R>)
    .use(validateInput(options.input) as middy.MiddlewareObj<z.output<S>, R>)
    .handler((event, context: unknown) =>
      // The stack this invocation belongs to is the region in the function's own ARN (config/stack-region.ts).
      withStackRegion(options.stackFromArn === false ? undefined : regionOfFunctionArn((context as { invokedFunctionArn?: unknown } | undefined)?.invokedFunctionArn), () =>
        withLogContext(invocationContext(name, event, context), () =>
          fn(event, typeof (context as Partial<InvocationContext> | undefined)?.getRemainingTimeInMillis === 'function' ? (context as InvocationContext) : undefined),
        ),
      ),
    );
