/**
 * Bull Board's changes (PUT/PATCH/POST from its own page's scripts) carry no CSRF form
 * field, so queue-board.ts accepts them only from the site itself: Origin equal to
 * MAILCA_PUBLIC_URL's origin, or, without a usable Origin, Sec-Fetch-Site same-origin.
 */
import { describe, expect, it } from 'vitest';
import { fromOwnSite } from '../../src/http/console/queue-board.js';

const SITE = 'https://ca.example.test';

describe('fromOwnSite', () => {
  const cases: [string, string, Record<string, string>, boolean][] = [
    ['a GET changes nothing', 'GET', { origin: 'https://evil.test' }, true],
    ['HEAD', 'HEAD', {}, true],
    ['the site itself', 'PUT', { origin: SITE }, true],
    ['the site, Fetch Metadata agreeing', 'PUT', { origin: SITE, 'sec-fetch-site': 'same-origin' }, true],
    ['another site', 'PUT', { origin: 'https://evil.test' }, false],
    ['another site claiming same-origin metadata', 'PUT', { origin: 'https://evil.test', 'sec-fetch-site': 'same-origin' }, false],
    ['the same host over http', 'PUT', { origin: 'http://ca.example.test' }, false],
    ['another port', 'PATCH', { origin: 'https://ca.example.test:8443' }, false],
    ['Origin null, same-origin fetch (Referrer-Policy no-referrer)', 'PUT', { origin: 'null', 'sec-fetch-site': 'same-origin' }, true],
    ['Origin null from a sandboxed cross-site frame', 'PUT', { origin: 'null', 'sec-fetch-site': 'cross-site' }, false],
    ['no Origin, same-origin', 'POST', { 'sec-fetch-site': 'same-origin' }, true],
    ['no Origin, same-site (a sibling subdomain)', 'POST', { 'sec-fetch-site': 'same-site' }, false],
    ['no Origin, typed into the address bar', 'POST', { 'sec-fetch-site': 'none' }, false],
    ['nothing at all (not a browser, or a very old one)', 'PUT', {}, false],
  ];
  it.each(cases)('%s: %s', (_what, method, headers, want) => {
    expect(fromOwnSite({ method, headers }, SITE)).toBe(want);
  });
});
