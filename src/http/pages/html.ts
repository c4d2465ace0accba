/**
 * Building blocks for the server-rendered pages: escaping, the page layout and a few
 * small fragments the forms share. Pure functions, no I/O; every page is plain HTML5
 * with a small inline style sheet and no scripts or external resources.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes a value for use in element content and in quoted attribute values. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

// The page declares both colour schemes, so it sets the colours of both itself: left to
// the browser, the dark scheme's default link blue (#9e9eff) has no stated background and
// checkers measure it against white (2.4:1). Every text pair here is at least 4.5:1 (WCAG
// 2.1 SC 1.4.3), the focus ring at least 3:1 against the page (SC 1.4.11).
const STYLE = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #0b0c0c; --link: #0b5cad; --visited: #6b2c91; --focus: #1d70b8; }
@media (prefers-color-scheme: dark) { :root { --bg: #121212; --fg: #eeeeee; --link: #8cb8ff; --visited: #d0a8ff; --focus: #8cb8ff; } }
body { margin: 0; font: 1.0625rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--link); }
a:visited { color: var(--visited); }
main { max-width: 42rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.2; }
h2 { font-size: 1.35rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; margin-top: 1.5rem; }
code, .fingerprint { font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; padding: 0.5rem; border: 1px solid; }
dt { font-weight: bold; margin-top: 0.5rem; }
dd { margin: 0 0 0.25rem; }
label, legend { display: block; font-weight: bold; margin-bottom: 0.25rem; }
fieldset { border: 0; padding: 0; margin: 1.25rem 0; }
fieldset label { display: inline; font-weight: normal; }
.field { margin: 1.25rem 0; }
.choice { margin: 0.5rem 0; }
.hint { margin: 0.25rem 0 0.5rem; }
input[type="text"], input[type="password"] { font: inherit; padding: 0.4rem; width: 100%; max-width: 20rem; box-sizing: border-box; border: 2px solid; }
button { font: inherit; font-weight: bold; padding: 0.5rem 1rem; cursor: pointer; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.alert { border-left: 5px solid #b10e1e; padding: 0.5rem 1rem; margin: 1rem 0; }
.info { border-left: 5px solid #1d70b8; padding: 0.5rem 1rem; margin: 1rem 0; }
`.trim();

export interface PageOptions {
  /** Plain text; escaped here. Also used as the main heading by callers. */
  readonly title: string;
  /** HTML for the inside of <main>; the caller escapes what it interpolates. */
  readonly body: string;
}

/** The layout every page shares. */
export function page({ title, body }: PageOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)} – mailca</title>
<style>
${STYLE}
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** A hidden form field. */
export function hiddenInput(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

/** The error region of a form, announced by screen readers; empty when there is no error. */
export function errorRegion(id: string, lines: readonly string[]): string {
  if (lines.length === 0) return '';
  const paragraphs = lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n');
  return `<div class="alert" role="alert" id="${escapeHtml(id)}">\n${paragraphs}\n</div>`;
}

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
] as const;

/** A date as UTC text, e.g. "23 November 2026, 14:05 UTC". */
export function formatUtc(date: Date): string {
  if (Number.isNaN(date.getTime())) return 'unknown date';
  const hh = String(date.getUTCHours()).padStart(2, '0');
  const mm = String(date.getUTCMinutes()).padStart(2, '0');
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/** A <time> element showing `formatUtc(date)`, with a machine-readable datetime. */
export function timeElement(date: Date): string {
  const text = escapeHtml(formatUtc(date));
  if (Number.isNaN(date.getTime())) return text;
  return `<time datetime="${escapeHtml(date.toISOString())}">${text}</time>`;
}

/**
 * A SHA-256 fingerprint in the form most tools show: uppercase hex pairs separated by
 * colons. Input that is not 32 bytes of hex (with or without separators) is returned as is.
 */
export function formatFingerprint(sha256: string): string {
  const hex = sha256.replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return sha256;
  return hex.toUpperCase().match(/../g)!.join(':');
}

/** A fingerprint ready to interpolate (formatted and escaped). */
export function fingerprintHtml(sha256: string): string {
  return `<span class="fingerprint">${escapeHtml(formatFingerprint(sha256))}</span>`;
}
