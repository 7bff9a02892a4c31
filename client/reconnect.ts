/**
 * Which failures re-reading DATABASE_URL can cure, which of them may be retried at once, and how
 * long to wait between attempts. Pure: no client, no clock.
 */

/** SQLSTATEs that mean "this node, or this session, is not the writer you want any more". */
const RECONNECT_SQLSTATES: Record<string, string> = {
  '25006': 'the node is read-only (no longer the writer)',
  '57P01': 'the server ended the session (admin shutdown)',
  '57P02': 'the server ended the session (crash shutdown)',
  '57P03': 'the server does not accept connections now (starting up or shutting down)',
  '08000': 'connection exception',
  '08001': 'the client could not connect',
  '08003': 'the connection does not exist',
  '08004': 'the server rejected the connection',
  '08006': 'connection failure',
};

/**
 * node-postgres reports a lost or timed-out connection with these messages and no code (pg 8's
 * client.js and pg-pool); "Cannot use a pool after calling end" is a call that raced the helper
 * retiring its previous pool.
 */
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout expired/,
  /^Query read timeout/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
  /^Client was closed/,
  /^Cannot use a pool after calling end on the pool/,
];

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Why `error` calls for re-reading DATABASE_URL and a new pool, or null when it does not (an
 * ordinary SQL error such as a unique violation, a bad password, a programming error): a read-only
 * node (25006), a session the server ended (57P01–57P03), a connection failure (class 08, a socket
 * error such as ECONNREFUSED or ECONNRESET, node-postgres's "Connection terminated", a connect or
 * query timeout). The reason names the code, never the connection's address or credentials.
 */
export const reconnectReason = (error: unknown): string | null => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && SQLSTATE.test(code)) {
    const known = RECONNECT_SQLSTATES[code];
    return known ? `${known} (${code})` : null;
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `connection error (${code})`;
  if (typeof message === 'string') {
    const matched = CONNECTION_MESSAGES.find((pattern) => pattern.test(message));
    if (matched) return `connection error (${message.split(/[.:]/)[0]})`;
  }
  return null;
};

/**
 * Whether a statement that failed this way certainly did not change anything, so that running it
 * again on the new writer cannot apply it twice: a read-only refusal (25006). A session cut while
 * the statement ran (57P01, "Connection terminated", a timeout) may have committed before the answer
 * was lost: that is the application's to judge, and the error is returned to it.
 */
export const statementNotApplied = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '25006';

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** Wait before the first retry, in milliseconds; doubled before each further retry. */
  baseDelayMs: number;
  /** Ceiling of any one wait, in milliseconds. */
  maxDelayMs: number;
}

/**
 * Milliseconds to wait before retry number `retry` (1 for the second attempt): the doubled base,
 * capped at `maxDelayMs`, of which a random half ("equal jitter") so that a fleet of applications
 * that lost the writer together does not re-read SSM in step. `random` returns [0, 1).
 */
export const backoffDelay = (retry: number, policy: RetryPolicy, random: () => number): number => {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
};
