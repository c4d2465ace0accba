/**
 * The console's own pages (issue 15): sign in, set up an operator account (password and
 * authenticator), and the answers for a missing session or CSRF value. Pure: params in,
 * HTML out; plain forms, labelled fields, no scripts (the QR code is inline SVG made on
 * the server).
 */
import { CSRF_FIELD } from './console-context.js';
import { errorRegion, escapeHtml, hiddenInput, page, timeElement } from '../pages/html.js';

/** The "Sign out" form every console page shows (POST /admin/logout with the CSRF value). */
export function signOutForm(operator: string, csrf: string): string {
  return `<form method="post" action="/admin/logout">
<p>Signed in as <strong>${escapeHtml(operator)}</strong>.
${hiddenInput(CSRF_FIELD, csrf)}
<button type="submit">Sign out</button></p>
</form>`;
}

export interface LoginParams {
  readonly next: string;
  readonly email?: string;
  /** Plain text lines for the alert region. */
  readonly errors?: readonly string[];
  /** A notice (signed out, setup done). */
  readonly notice?: string;
}

export function renderLogin(p: LoginParams): string {
  const errors = p.errors ?? [];
  const invalid = errors.length > 0 ? ' aria-invalid="true" aria-describedby="login-error"' : '';
  const body = `<h1>Sign in to the mailca console</h1>
${errorRegion('login-error', errors)}
${p.notice ? `<div class="info" role="status"><p>${escapeHtml(p.notice)}</p></div>` : ''}
<form method="post" action="/admin/login">
${hiddenInput('next', p.next)}
<div class="field">
<label for="email">Email</label>
<input type="text" id="email" name="email" inputmode="email" autocomplete="username" spellcheck="false" required value="${escapeHtml(p.email ?? '')}"${invalid}>
</div>
<div class="field">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${invalid}>
</div>
<div class="field">
<label for="code">Authentication code</label>
<p class="hint" id="code-hint">The 6-digit code your authenticator app shows now.</p>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required aria-describedby="code-hint"${errors.length > 0 ? ' aria-invalid="true"' : ''}>
</div>
<button type="submit">Sign in</button>
</form>
<p>No account, a lost authenticator or a forgotten password: whoever runs mailca gives you a new setup link with <code>mailca operators add</code> or <code>mailca operators reset</code>.</p>`;
  return page({ title: errors.length > 0 ? 'Error: Sign in' : 'Sign in', body });
}

export interface SetupParams {
  readonly action: string;
  readonly email: string;
  /** The TOTP key, base32: shown as text for people who cannot scan the QR code. */
  readonly key: string;
  /** The QR code of the otpauth:// URI, as SVG markup (made by the server). */
  readonly qrSvg: string;
  readonly expiresAt: Date;
  readonly errors?: readonly string[];
  readonly minLength: number;
}

export function renderSetup(p: SetupParams): string {
  const errors = p.errors ?? [];
  const body = `<h1>Set up your console account</h1>
${errorRegion('setup-error', errors)}
<p>This link makes <strong>${escapeHtml(p.email)}</strong> an operator of this mailca. It works once, until ${timeElement(p.expiresAt)}.</p>
<h2>1. Add mailca to your authenticator app</h2>
<p>Scan this QR code with an authenticator app (for example FreeOTP, Aegis, Google Authenticator or Microsoft Authenticator), or type the setup key into it.</p>
<figure>
${p.qrSvg}
<figcaption>QR code of the setup key</figcaption>
</figure>
<dl>
<dt id="setup-key-label">Setup key</dt>
<dd><code id="setup-key" aria-labelledby="setup-key-label">${escapeHtml(p.key)}</code></dd>
</dl>
<p>Settings if your app asks: time-based (TOTP), 6 digits, every 30 seconds, SHA-1.</p>
<h2>2. Choose a password and confirm</h2>
<form method="post" action="${escapeHtml(p.action)}">
<div class="field">
<label for="password">Password</label>
<p class="hint" id="password-hint">At least ${p.minLength} characters. A few unrelated words make a long password that is easy to type; common passwords are refused.</p>
<input type="password" id="password" name="password" autocomplete="new-password" minlength="${p.minLength}" required aria-describedby="password-hint">
</div>
<div class="field">
<label for="confirm">Confirm password</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" minlength="${p.minLength}" required>
</div>
<div class="field">
<label for="code">Authentication code</label>
<p class="hint" id="code-hint">The 6-digit code your authenticator app shows for mailca now.</p>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required aria-describedby="code-hint">
</div>
<button type="submit">Finish setup</button>
</form>`;
  return page({ title: errors.length > 0 ? 'Error: Set up your console account' : 'Set up your console account', body });
}

/** A page with a heading and paragraphs (plain text), in an alert region when `alert`. */
export function renderConsoleMessage(title: string, paragraphs: readonly string[], opts: { alert?: boolean; linkToLogin?: boolean } = {}): string {
  const text = paragraphs.map((t) => `<p>${escapeHtml(t)}</p>`).join('\n');
  const body = `<h1>${escapeHtml(title)}</h1>
${opts.alert ? `<div class="alert" role="alert">\n${text}\n</div>` : text}
${opts.linkToLogin ? '<p><a href="/admin/login">Sign in to the console</a></p>' : ''}`;
  return page({ title, body });
}

/** The console's home when no dashboard is installed: who is signed in, and Sign out. */
export function renderConsoleHome(operator: string, csrf: string): string {
  return page({ title: 'mailca console', body: `<h1>mailca console</h1>\n${signOutForm(operator, csrf)}` });
}
