/**
 * The database going away is an expected event, not a bug: a PostgreSQL restart, a
 * failover, a network blip. Such errors become one retryable MailcaError
 * (`STORE.UNAVAILABLE`, not permanent), so a job is retried by BullMQ, a web request
 * answers 500/503 and the SMTP forwarder tries again, and nobody mistakes the outage for
 * a problem with the mail or the request itself. Every other error (a constraint, bad
 * SQL) passes through unchanged.
 */
import { MailcaError } from '../domain/errors.js';

export const STORE_UNAVAILABLE = 'STORE.UNAVAILABLE';

/** Socket errors of a connection that cannot be made or was cut. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTCONN']);

/**
 * SQLSTATEs (PostgreSQL appendix A) that mean "the server cannot serve this session
 * now", not "this statement is wrong": class 08 (connection exception), 57P01
 * admin_shutdown (`pg_ctl -m fast`), 57P02 crash_shutdown, 57P03 cannot_connect_now
 * (starting up or shutting down), 53300 too_many_connections.
 */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres says when the socket closed or a connect timed out (no code is set). */
const CLIENT_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /is not queryable/, /^Connection ended unexpectedly/];

/** True when `err` says the database cannot be reached, rather than that a statement failed. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || SERVER_GONE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return CLIENT_MESSAGES.some((re) => re.test(err.message));
}

/** True for `STORE.UNAVAILABLE` and for a connection error not yet translated. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof MailcaError ? err.code === STORE_UNAVAILABLE : isConnectionError(err);
}

/** The retryable error for a connection error; anything else unchanged. */
export function translateConnectionError(err: unknown): unknown {
  if (err instanceof MailcaError || !isConnectionError(err)) return err;
  return storeUnavailable(err);
}

export function storeUnavailable(cause: unknown): MailcaError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new MailcaError({
    code: STORE_UNAVAILABLE,
    message: `The database is unavailable (${why}).`,
    hint: 'Check that PostgreSQL (DATABASE_URL) is running and reachable; work in progress is retried.',
    permanent: false,
    cause,
  });
}
