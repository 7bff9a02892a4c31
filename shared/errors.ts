/**
 * Named errors. Their `name` is the contract with the state machine's Retry/Catch blocks and with
 * callers: match on `name`, never on message text. The original error is kept as `cause`.
 * Each name is a string literal, not the class name, so that minified bundles keep it.
 */
export class FailoverError extends Error {
  override name = 'FailoverError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The cluster configuration file is missing, unreadable or does not match the schema. */
export class ConfigError extends FailoverError {
  override name = 'ConfigError';
}

/** A request or event does not match what the function accepts. Nothing was changed. */
export class InvalidInputError extends FailoverError {
  override name = 'InvalidInputError';
}

/** A database node could not be reached or did not answer in time. */
export class DatabaseUnreachableError extends FailoverError {
  override name = 'DatabaseUnreachableError';
}

/** A transient AWS API failure (throttling, 5xx, network, timeout); safe to retry. */
export class AwsTransientError extends FailoverError {
  override name = 'AwsTransientError';
}

/** A non-transient AWS API failure (access denied, missing resource, validation). */
export class AwsPermanentError extends FailoverError {
  override name = 'AwsPermanentError';
}

/** pg_promote did not finish, or the promoted node does not accept a write. */
export class PromotionFailedError extends FailoverError {
  override name = 'PromotionFailedError';
}

/** Another failover or switchover holds the cluster's lease (or the cooldown runs). */
export class LeaseHeldError extends FailoverError {
  override name = 'LeaseHeldError';
}

/** The execution's state lacks what a step needs (a step ran out of order). */
export class StateMissingError extends FailoverError {
  override name = 'StateMissingError';
}

/**
 * The cluster record changed since it was read (another execution, an operator or a switchover
 * wrote a newer generation): nothing was overwritten; read it again and decide again.
 */
export class RecordConflictError extends FailoverError {
  override name = 'RecordConflictError';
}

/**
 * This execution no longer holds the cluster's lease (it expired and another holder took it, or it
 * was released): it must not change anything more. Never retried.
 */
export class LeaseLostError extends FailoverError {
  override name = 'LeaseLostError';
}
