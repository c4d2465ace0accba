/**
 * An OAuth 2.0 access-token source (oauth4webapi) for mail clients that sign in with SASL
 * XOAUTH2 or OAUTHBEARER (RFC 7628). Two grants: client credentials (RFC 6749 4.4; what
 * Microsoft Entra ID app-only access to Exchange Online uses) and refresh token (RFC 6749
 * 6; a delegated or Google Workspace setup). The client secret goes in the request body
 * (client_secret_post) or an Authorization header (client_secret_basic), RFC 6749 2.3.1.
 *
 * A token is kept in memory until shortly before it expires (the smaller of 60 s and a
 * tenth of its lifetime), concurrent callers share one request, and a token the mail
 * server refused is dropped with `invalidate` so the next call asks for a new one. Tokens
 * and secrets are never logged or put in an error: errors name the endpoint and the
 * OAuth error code and description (RFC 6749 5.2) only.
 *
 * The IMAP poller uses it now; the outbound relay is to share it (service.ts wires one
 * source per setting group, the clients see only the AccessTokenSource port).
 */
import * as oauth from 'oauth4webapi';
import { MailcaError } from '../domain/errors.js';
import type { AccessTokenSource } from '../workflow/ports/access-token.js';

export interface OAuthTokenSourceOptions {
  /** The token endpoint: https, or http on a loopback host (a local test server). */
  readonly tokenUrl: string;
  readonly clientId: string;
  /** Secret. Required for client credentials; optional with a refresh token (a public client). */
  readonly clientSecret?: string | undefined;
  /** Client credentials: the scope asked for (e.g. `https://outlook.office365.com/.default`). */
  readonly scope?: string | undefined;
  /** Secret. Present: the refresh-token grant; absent: client credentials. */
  readonly refreshToken?: string | undefined;
  /** How the secret is sent (default `post`). */
  readonly clientAuth?: 'post' | 'basic';
  /** Which setting this is, for messages (e.g. `IMAP_OAUTH_TOKEN_URL`). */
  readonly setting?: string;
  /** Longest wait for the token endpoint (default 15 s). */
  readonly timeoutMs?: number;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** A stand-in for fetch (tests). */
  readonly fetch?: typeof fetch;
}

/** Lifetime assumed when the server leaves out `expires_in` (RFC 6749 5.1 only recommends it). */
const DEFAULT_LIFETIME_S = 300;
const MAX_DESCRIPTION = 200;

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** What may be shown of the endpoint: no user info, no query. */
function describeEndpoint(u: URL): string {
  return `${u.origin}${u.pathname}`;
}

/** The margin before expiry at which a cached token is no longer handed out. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 10);
}

export function createOAuthTokenSource(opts: OAuthTokenSourceOptions): AccessTokenSource {
  const setting = opts.setting ?? 'the OAuth token URL';
  const url = new URL(opts.tokenUrl);
  const endpoint = describeEndpoint(url);
  const insecure = url.protocol === 'http:';
  if (url.protocol !== 'https:' && !(insecure && isLoopback(url.hostname))) {
    throw new MailcaError({ code: 'OAUTH.BAD_TOKEN_URL', message: `${setting} must be an https:// URL (http:// only on a loopback host, for tests).`, hint: 'Use the token endpoint your identity provider documents.' });
  }
  const as: oauth.AuthorizationServer = { issuer: url.origin, token_endpoint: url.href };
  const client: oauth.Client = { client_id: opts.clientId };
  const secret = opts.clientSecret;
  const clientAuth = secret === undefined || secret === '' ? oauth.None() : opts.clientAuth === 'basic' ? oauth.ClientSecretBasic(secret) : oauth.ClientSecretPost(secret);
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let refreshToken = opts.refreshToken;

  let cached: { token: string; freshUntil: number } | null = null;
  let pending: Promise<string> | null = null;

  function requestOptions(): oauth.TokenEndpointRequestOptions {
    return {
      signal: AbortSignal.timeout(timeoutMs),
      // oauth4webapi refuses http:// unless told; only a loopback endpoint gets here with it
      ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
      ...(opts.fetch ? { [oauth.customFetch]: opts.fetch } : {}),
    };
  }

  function refused(err: unknown): MailcaError {
    if (err instanceof oauth.ResponseBodyError) {
      const description = err.error_description ? ` (${err.error_description.slice(0, MAX_DESCRIPTION)})` : '';
      const grant = refreshToken !== undefined ? 'refresh token' : 'client id, secret and scope';
      return new MailcaError({
        code: 'OAUTH.TOKEN_REFUSED',
        message: `The token endpoint ${endpoint} refused the request: ${err.error}${description}, HTTP ${err.status}.`,
        hint: `Check the ${grant} configured with ${setting} (invalid_client: the client id or secret; invalid_grant: the refresh token; invalid_scope: the scope).`,
        permanent: false,
      });
    }
    const e = err as { name?: string; message?: string; cause?: { code?: string } } | null;
    const why = e?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e?.cause?.code ?? e?.message ?? 'failed');
    return new MailcaError({
      code: 'OAUTH.TOKEN_UNAVAILABLE',
      message: `The token endpoint ${endpoint} could not be used: ${String(why).slice(0, MAX_DESCRIPTION)}.`,
      hint: `Check ${setting} and that this host can reach it.`,
      permanent: false,
    });
  }

  async function fetchToken(): Promise<string> {
    const started = now();
    let result: oauth.TokenEndpointResponse;
    try {
      if (refreshToken !== undefined) {
        const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, {
          ...requestOptions(),
          ...(opts.scope ? { additionalParameters: { scope: opts.scope } } : {}),
        });
        result = await oauth.processRefreshTokenResponse(as, client, res);
        // RFC 6749 6: the server may issue a new refresh token (Entra ID rotates them)
        if (typeof result.refresh_token === 'string' && result.refresh_token !== '') refreshToken = result.refresh_token;
      } else {
        const res = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, opts.scope ? { scope: opts.scope } : {}, requestOptions());
        result = await oauth.processClientCredentialsResponse(as, client, res);
      }
    } catch (err) {
      throw refused(err);
    }
    const lifetimeMs = (typeof result.expires_in === 'number' && result.expires_in > 0 ? result.expires_in : DEFAULT_LIFETIME_S) * 1000;
    cached = { token: result.access_token, freshUntil: started + lifetimeMs - refreshMarginMs(lifetimeMs) };
    return result.access_token;
  }

  return {
    token(): Promise<string> {
      if (cached && now() < cached.freshUntil) return Promise.resolve(cached.token);
      if (!pending) {
        pending = fetchToken().finally(() => {
          pending = null;
        });
      }
      return pending;
    },
    invalidate(token: string): void {
      if (cached?.token === token) cached = null;
    },
  };
}
