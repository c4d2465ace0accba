/**
 * Where a mail client gets an OAuth 2.0 access token (RFC 6749) for SASL XOAUTH2 or
 * OAUTHBEARER (RFC 7628): the IMAP poller now, the outbound relay later, each with its own
 * source (they may be different apps or mailboxes). Tokens stay in memory only: never in
 * logs, errors, job payloads or the database.
 */
export interface AccessTokenSource {
  /**
   * A token that is not about to expire: the cached one, or a new one from the token
   * endpoint (concurrent callers share one request). Rejects with an error that names
   * the endpoint and the OAuth error code, never a secret.
   */
  token(): Promise<string>;
  /**
   * The server refused `token`: forget it, so the next `token()` asks for a new one. A
   * token that is no longer the cached one (already replaced) is ignored.
   */
  invalidate(token: string): void;
}
