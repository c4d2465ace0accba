/**
 * The rules of an operator console session (OWASP Session Management: idle and absolute
 * timeouts). A session ends after 30 minutes without a request, 12 hours after sign-in
 * whatever happens, at sign-out, and when its operator is removed or reset.
 */

export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_MAX_MS = 12 * 3_600_000;
/** Wrong sign-ins (password or code) after which an operator is locked… */
export const LOGIN_ATTEMPTS = 5;
/** …for this long. */
export const LOGIN_LOCK_MS = 15 * 60_000;
/** How long a setup link (operators add / reset) stays usable. */
export const SETUP_LINK_MS = 24 * 3_600_000;

export type SessionVerdict = 'live' | 'ended' | 'idle' | 'too-old';

export interface SessionTimes {
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly endedAt: Date | null;
}

/** Whether a session still counts at `now`. */
export function sessionVerdict(s: SessionTimes, now: Date): SessionVerdict {
  if (s.endedAt !== null) return 'ended';
  if (now.getTime() - s.createdAt.getTime() >= SESSION_MAX_MS) return 'too-old';
  if (now.getTime() - s.lastSeenAt.getTime() >= SESSION_IDLE_MS) return 'idle';
  return 'live';
}

/** The oldest last-seen and sign-in times a live session may have at `now` (for one conditional UPDATE). */
export function sessionCutoffs(now: Date): { readonly idleSince: Date; readonly createdSince: Date } {
  return { idleSince: new Date(now.getTime() - SESSION_IDLE_MS), createdSince: new Date(now.getTime() - SESSION_MAX_MS) };
}

/**
 * Where to go after signing in: only a path of this console (`/admin` or below), never
 * another site (`//evil.example`, `/\evil`, `https:`) — else the console's home.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || [...next].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return '/admin';
  let url: URL;
  try {
    url = new URL(next, 'http://console.invalid');
  } catch {
    return '/admin';
  }
  if (url.origin !== 'http://console.invalid') return '/admin';
  if (url.pathname !== '/admin' && !url.pathname.startsWith('/admin/')) return '/admin';
  if (url.pathname === '/admin/login' || url.pathname === '/admin/logout') return '/admin';
  return `${url.pathname}${url.search}`;
}
