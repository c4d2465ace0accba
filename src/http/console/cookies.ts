/**
 * The console's session cookie (RFC 6265bis): HttpOnly (no script reads it), SameSite=Strict
 * (no other site's page sends it), and over https the `__Host-` prefix with Secure and
 * Path=/ (the browser then refuses a cookie of that name set by a sub-domain or over plain
 * http). Over http (a local test set-up) it is `mailca_console`, Path=/admin.
 */
import { SESSION_MAX_MS } from '../../domain/operator-session.js';

export interface CookieSettings {
  readonly name: string;
  readonly attributes: string;
}

/** The cookie's name and attributes for a public URL. */
export function cookieSettings(publicUrl: string): CookieSettings {
  const https = publicUrl.toLowerCase().startsWith('https:');
  return https ? { name: '__Host-mailca_console', attributes: 'Path=/; Secure; HttpOnly; SameSite=Strict' } : { name: 'mailca_console', attributes: 'Path=/admin; HttpOnly; SameSite=Strict' };
}

/** The Set-Cookie value that gives the browser a session id (gone by itself at the 12-hour limit). */
export function setSessionCookie(c: CookieSettings, sessionId: string): string {
  return `${c.name}=${sessionId}; Max-Age=${Math.floor(SESSION_MAX_MS / 1000)}; ${c.attributes}`;
}

/** The Set-Cookie value that removes it. */
export function clearSessionCookie(c: CookieSettings): string {
  return `${c.name}=; Max-Age=0; ${c.attributes}`;
}

/**
 * The value of cookie `name` in a Cookie header (RFC 6265 5.4: `name=value` pairs joined by
 * "; "), or null. The first of several with the name wins, as browsers send the most
 * specific path first. Values are taken as sent (session ids are base64url).
 */
export function cookieValue(header: string | string[] | undefined, name: string): string | null {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return null;
}
