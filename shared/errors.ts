/**
 * Named errors. Their `name` is the contract with the state machine's Retry/Catch blocks and with
 * callers: match on `name`, never on message text. The original error is kept as `cause`.
 */
export class FailoverError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The cluster configuration file is missing, unreadable or does not match the schema. */
export class ConfigError extends FailoverError {}

/** A request or event does not match what the function accepts. Nothing was changed. */
export class InvalidInputError extends FailoverError {}

/** A database node could not be reached or did not answer in time. */
export class DatabaseUnreachableError extends FailoverError {}

/** A transient AWS API failure (throttling, 5xx, network); safe to retry. */
export class AwsTransientError extends FailoverError {}

/** A non-transient AWS API failure (access denied, missing resource, validation). */
export class AwsPermanentError extends FailoverError {}
