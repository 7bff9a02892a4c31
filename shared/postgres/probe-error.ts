/**
 * What a failed attempt to reach a PostgreSQL server says about it:
 * - `error-reply`: the server answered with an error (pg_hba rejection, bad password, too many
 *   clients, starting up or shutting down): a server that replies is alive;
 * - `refused`: nothing listens there (connection refused);
 * - `timed-out`: no answer within the timeout (host gone, or the path to it);
 * - `connection-lost`: the connection was cut before an answer;
 * - `unreachable`: the address cannot be reached or resolved;
 * - `unknown`: anything else (the attempt itself failed, e.g. the password could not be read).
 */
export type ProbeFailure = 'error-reply' | 'refused' | 'timed-out' | 'connection-lost' | 'unreachable' | 'unknown';

type PgLike = { code?: unknown; severity?: unknown; message?: unknown; cause?: unknown; name?: unknown };

/** Classifies a connection or query failure, looking through `cause` (adapters wrap pg's errors). */
export const classifyProbeFailure = (error: unknown): ProbeFailure => {
  for (let e = error as PgLike | undefined, depth = 0; e && depth < 5; e = e.cause as PgLike | undefined, depth += 1) {
    const code = typeof e.code === 'string' ? e.code : '';
    const message = typeof e.message === 'string' ? e.message : '';
    // A server error reply carries a five-character SQLSTATE and a severity.
    if (/^[0-9A-Z]{5}$/.test(code) && typeof e.severity === 'string') return 'error-reply';
    if (code === 'ECONNREFUSED') return 'refused';
    if (code === 'ETIMEDOUT' || /timeout expired|connection timeout|Query read timeout/i.test(message)) return 'timed-out';
    if (code === 'ECONNRESET' || code === 'EPIPE' || /Connection terminated unexpectedly/i.test(message)) return 'connection-lost';
    if (['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return 'unreachable';
  }
  return 'unknown';
};

/** The SQLSTATE of a server's error reply, looking through `cause`; null when the server did not reply. */
export const sqlStateOf = (error: unknown): string | null => {
  for (let e = error as PgLike | undefined, depth = 0; e && depth < 5; e = e.cause as PgLike | undefined, depth += 1) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string') return e.code;
  }
  return null;
};
