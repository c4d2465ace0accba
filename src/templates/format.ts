/**
 * Dates in mails: always UTC, written out in words so nobody mistakes 03/04 for 4 March
 * or 3 April, e.g. "23 November 2026" and "23 November 2026, 14:05 UTC".
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

function checked(d: Date): Date {
  // A mail that says "NaN undefined NaN" is worse than a failed job that is retried.
  if (Number.isNaN(d.getTime())) throw new RangeError('formatDate: invalid Date');
  return d;
}

/** "23 November 2026" (UTC). */
export function formatDate(d: Date): string {
  const t = checked(d);
  return `${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()}`;
}

/** "23 November 2026, 14:05 UTC". */
export function formatDateTime(d: Date): string {
  const t = checked(d);
  const hh = String(t.getUTCHours()).padStart(2, '0');
  const mm = String(t.getUTCMinutes()).padStart(2, '0');
  return `${formatDate(t)}, ${hh}:${mm} UTC`;
}
