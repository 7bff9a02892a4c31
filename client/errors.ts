/**
 * The helper's named errors. Match on `name` (each a string literal, so that minified bundles keep
 * it), never on message text. None of them carries the DATABASE_URL or a password, in its message or
 * in its `cause`.
 */

/** The options given to `WriterPool` do not hold; the message names each bad field. Nothing was started. */
export class WriterPoolOptionsError extends Error {
  override name = 'WriterPoolOptionsError';
}

/**
 * The parameter does not hold a PostgreSQL URL with a host. The message names the parameter and
 * its region, never its value; there is no `cause` (a URL parser's error may quote its input).
 */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/**
 * Every attempt of one call failed with an error that re-reading DATABASE_URL could cure (the node
 * refused, was read-only, went away, or SSM throttled), and the attempts ran out. `cause` is the last
 * such error; `attempts` how many were made. The next call starts again from a fresh read.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(
    message: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** `end()` was called: the pool takes no more work. */
export class WriterPoolEndedError extends Error {
  override name = 'WriterPoolEndedError';
}
