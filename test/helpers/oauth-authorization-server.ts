/**
 * A small OAuth 2.0 authorization server on 127.0.0.1 for the mail peers' tests (issue 14):
 * issues client-credentials tokens (RFC 6749 4.4) with a short lifetime at `/token`, and
 * answers token introspection (RFC 7662) at `/introspect`, which Dovecot's oauth2 passdb
 * and the tests' SMTP server ask whether a token is active. The client secret can be
 * revoked and restored, and issued tokens revoked, to test refusals.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthorizationServerOptions {
  /** The mailbox user every token is for (the introspection answer's `username`). */
  readonly user: string;
  readonly clientId: string;
  /** The only scope the client may ask for. */
  readonly scope: string;
  /** Seconds a token lives (`expires_in`). */
  readonly lifetimeS: number;
  /** How long past expiry introspection still says active (resource servers allow for clock skew and delays). */
  readonly leewayMs?: number;
}

export type AuthorizationServer = Awaited<ReturnType<typeof startAuthorizationServer>>;

export async function startAuthorizationServer(opts: AuthorizationServerOptions) {
  const leewayMs = opts.leewayMs ?? 0;
  const secret = `cs-${randomBytes(12).toString('hex')}`;
  const issued = new Map<string, number>(); // token → expiry (ms), 0 when revoked
  const state = { secretValid: true, tokenRequests: 0, refusedRequests: 0, introspected: [] as string[] };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d.slice(0, 10_000)));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const json = (status: number, obj: object) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'POST' && req.url === '/token') {
        state.tokenRequests++;
        if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== opts.scope) return json(400, { error: 'invalid_request' });
        if (form.get('client_id') !== opts.clientId || form.get('client_secret') !== secret || !state.secretValid) {
          state.refusedRequests++;
          return json(401, { error: 'invalid_client', error_description: 'The client secret is not valid for this app.' });
        }
        const token = `at-${randomBytes(16).toString('hex')}`;
        issued.set(token, Date.now() + opts.lifetimeS * 1000);
        return json(200, { access_token: token, token_type: 'Bearer', expires_in: opts.lifetimeS });
      }
      if (req.method === 'POST' && req.url === '/introspect') {
        state.introspected.push(form.get('token') ?? '');
        const expiry = issued.get(form.get('token') ?? '');
        return json(200, expiry !== undefined && expiry !== 0 && expiry + leewayMs > Date.now() ? { active: 'true', username: opts.user } : { active: 'false' });
      }
      json(404, { error: 'not_found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const introspectionUrl = `${base}/introspect`;
  return {
    secret,
    state,
    tokens: () => [...issued.keys()],
    /** Revokes every token issued so far. */
    revokeTokens: () => {
      for (const t of issued.keys()) issued.set(t, 0);
    },
    /** Revokes the secret and every token issued so far. */
    revoke: () => {
      state.secretValid = false;
      for (const t of issued.keys()) issued.set(t, 0);
    },
    restore: () => void (state.secretValid = true),
    tokenUrl: `${base}/token`,
    introspectionUrl,
    /** What a resource server does (RFC 7662 2.1): asks whether the token is active, and for whom. */
    async introspect(token: string): Promise<{ active: boolean; username: string | null }> {
      const res = await fetch(introspectionUrl, { method: 'POST', body: new URLSearchParams({ token }), signal: AbortSignal.timeout(5_000) });
      const body = (await res.json()) as { active?: unknown; username?: unknown };
      return { active: body.active === true || body.active === 'true', username: typeof body.username === 'string' ? body.username : null };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
