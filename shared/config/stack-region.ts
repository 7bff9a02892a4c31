import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The region of the control-plane stack running the current invocation. Deployed, the Lambda's own
 * ARN names it (every stack of a multi-region control plane runs the same code and configuration);
 * locally, where two control planes can share one process, each invocation carries its own. Outside
 * any invocation (the CLI, a test calling a function directly) there is none and the configuration's
 * home region (controlRegions[0]) stands.
 */
const current = new AsyncLocalStorage<string>();

/** The region named by a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME), if any. */
export const regionOfFunctionArn = (arn: unknown): string | undefined => {
  if (typeof arn !== 'string') return undefined;
  const parts = arn.split(':');
  return parts[0] === 'arn' && parts[2] === 'lambda' && parts[3] ? parts[3] : undefined;
};

/** Runs `fn` as the stack in `region` (undefined: no region of its own, as before). */
export const withStackRegion = <T>(region: string | undefined, fn: () => T): T => (region === undefined ? fn() : current.run(region, fn));

/** The region of the stack running this invocation, when it has one. */
export const stackRegion = (): string | undefined => current.getStore();
