/**
 * The OAuth token source against a fake token endpoint (oauth4webapi's customFetch): the
 * grants it sends, caching until shortly before expiry, one shared request, invalidate,
 * and errors that name the endpoint and the OAuth error but never a secret.
 */
import { describe, expect, it } from 'vitest';
import { createOAuthTokenSource, refreshMarginMs, type OAuthTokenSourceOptions } from '../../src/inbound/oauth-token-source.js';

const SECRET = 'client-secret-Xy7';
const REFRESH = 'refresh-token-Qw3';

function fakeEndpoint(answer: (body: URLSearchParams, n: number) => { status: number; json: object }) {
  const requests: { body: URLSearchParams; authorization: string | null }[] = [];
  const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
    const body = new URLSearchParams(String(init?.body ?? ''));
    requests.push({ body, authorization: new Headers(init?.headers).get('authorization') });
    await new Promise((r) => setTimeout(r, 5));
    const { status, json } = answer(body, requests.length);
    return new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { requests, fetchFn };
}

const ok = (n: number, expiresIn = 100) => ({ status: 200, json: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: expiresIn } });

function source(extra: Partial<OAuthTokenSourceOptions>, fetchFn: typeof fetch, clock = { t: 0 }) {
  return createOAuthTokenSource({ tokenUrl: 'https://login.example.test/tenant/oauth2/v2.0/token?x=1', clientId: 'app-1', fetch: fetchFn, now: () => clock.t, setting: 'IMAP_OAUTH_TOKEN_URL', ...extra });
}

describe('OAuth token source', () => {
  it('asks for client credentials with the secret in the body, caches until shortly before expiry, shares one request', async () => {
    const ep = fakeEndpoint((_b, n) => ok(n, 100));
    const clock = { t: 1_000_000 };
    const ts = source({ clientSecret: SECRET, scope: 'https://outlook.office365.com/.default' }, ep.fetchFn, clock);
    const [a, b] = await Promise.all([ts.token(), ts.token()]);
    expect([a, b]).toEqual(['tok-1', 'tok-1']);
    expect(ep.requests).toHaveLength(1);
    expect(Object.fromEntries(ep.requests[0]!.body)).toEqual({ grant_type: 'client_credentials', client_id: 'app-1', client_secret: SECRET, scope: 'https://outlook.office365.com/.default' });
    clock.t += 100_000 - refreshMarginMs(100_000) - 1;
    expect(await ts.token()).toBe('tok-1');
    clock.t += 2;
    expect(await ts.token()).toBe('tok-2');
    expect(ep.requests).toHaveLength(2);
  });

  it('forgets a refused token once; a stale invalidate leaves the new one', async () => {
    const ep = fakeEndpoint((_b, n) => ok(n));
    const ts = source({ clientSecret: SECRET, scope: 's' }, ep.fetchFn);
    expect(await ts.token()).toBe('tok-1');
    ts.invalidate('tok-1');
    expect(await ts.token()).toBe('tok-2');
    ts.invalidate('tok-1');
    expect(await ts.token()).toBe('tok-2');
    expect(ep.requests).toHaveLength(2);
  });

  it('uses the refresh-token grant, basic client authentication, and keeps a rotated refresh token', async () => {
    const ep = fakeEndpoint((_b, n) => ({ status: 200, json: { ...ok(n).json, refresh_token: `rotated-${n}` } }));
    const ts = source({ clientSecret: SECRET, refreshToken: REFRESH, clientAuth: 'basic' }, ep.fetchFn);
    await ts.token();
    ts.invalidate('tok-1');
    await ts.token();
    expect(ep.requests[0]!.body.get('grant_type')).toBe('refresh_token');
    expect(ep.requests[0]!.body.get('refresh_token')).toBe(REFRESH);
    expect(ep.requests[0]!.body.get('client_secret')).toBeNull();
    expect(ep.requests[0]!.authorization).toMatch(/^Basic /);
    expect(ep.requests[1]!.body.get('refresh_token')).toBe('rotated-1');
  });

  it('names the endpoint and the OAuth error, never the secret or the query', async () => {
    const ep = fakeEndpoint(() => ({ status: 401, json: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } }));
    const ts = source({ clientSecret: SECRET, scope: 's' }, ep.fetchFn);
    const err = (await ts.token().catch((e: unknown) => e)) as Error & { code: string; hint: string };
    expect(err.code).toBe('OAUTH.TOKEN_REFUSED');
    expect(err.message).toBe('The token endpoint https://login.example.test/tenant/oauth2/v2.0/token refused the request: invalid_client (AADSTS7000215: Invalid client secret provided.), HTTP 401.');
    expect(err.hint).toMatch(/IMAP_OAUTH_TOKEN_URL/);
    expect(JSON.stringify({ m: err.message, h: err.hint })).not.toContain(SECRET);
    // a failure is not cached: the next call asks again
    await ts.token().catch(() => undefined);
    expect(ep.requests).toHaveLength(2);
  });

  it('says when the endpoint cannot be reached, and refuses plain http off loopback', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    await expect(source({ clientSecret: SECRET, scope: 's' }, down).token()).rejects.toThrow('The token endpoint https://login.example.test/tenant/oauth2/v2.0/token could not be used: ECONNREFUSED.');
    expect(() => createOAuthTokenSource({ tokenUrl: 'http://login.example.test/token', clientId: 'a', clientSecret: SECRET, scope: 's' })).toThrow(/must be an https:\/\/ URL/);
    expect(() => createOAuthTokenSource({ tokenUrl: 'http://127.0.0.1:9/token', clientId: 'a', clientSecret: SECRET, scope: 's' })).not.toThrow();
  });
});
