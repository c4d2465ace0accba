/**
 * The pages of a certificate pickup (`/pickup/<token>`): the PIN form, the details and
 * password form, and the messages for links that are locked, expired, collected or
 * unknown. Pure: params in, HTML out. The caller supplies the form action, the CSRF
 * value and the ticket; this module only renders.
 */
import { errorRegion, escapeHtml, fingerprintHtml, hiddenInput, page, timeElement } from './html.js';

/** Wrong PINs after which a pickup link locks (stated on the PIN page). */
export const PIN_ATTEMPTS = 5;

export interface PinFormParams {
  /** Where the form posts to, e.g. the pickup URL itself. */
  readonly action: string;
  readonly csrf: string;
  /** Plain text, e.g. "That PIN is not right." */
  readonly error?: string;
  readonly attemptsLeft?: number;
}

function attemptsText(n: number): string {
  return n === 1 ? 'You have 1 attempt left.' : `You have ${n} attempts left.`;
}

/** "Collect your certificate": asks for the 8-digit PIN. */
export function renderPinForm({ action, csrf, error, attemptsLeft }: PinFormParams): string {
  const hasError = error !== undefined && error !== '';
  const alertLines = hasError ? [error, ...(attemptsLeft !== undefined ? [attemptsText(attemptsLeft)] : [])] : [];
  const describedBy = ['pin-hint', ...(hasError ? ['pin-error'] : [])].join(' ');
  const attemptsNote = !hasError && attemptsLeft !== undefined ? ` ${escapeHtml(attemptsText(attemptsLeft))}` : '';
  const body = `<h1>Collect your certificate</h1>
${errorRegion('pin-error', alertLines)}
<p>Your certificate is ready. Enter the PIN to see its details and download it.</p>
<form method="post" action="${escapeHtml(action)}">
${hiddenInput('csrf', csrf)}
<div class="field">
<label for="pin">PIN</label>
<p class="hint" id="pin-hint">The 8-digit PIN came in the same email as the link to this page.
After ${PIN_ATTEMPTS} wrong PINs the link locks.${attemptsNote}</p>
<input type="text" id="pin" name="pin" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{8}" maxlength="8" required aria-describedby="${describedBy}"${hasError ? ' aria-invalid="true"' : ''}>
</div>
<button type="submit">Continue</button>
</form>`;
  return page({ title: hasError ? 'Error: Collect your certificate' : 'Collect your certificate', body });
}

export interface CertificateDetails {
  readonly subject: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the certificate, hex (separators optional). */
  readonly sha256: string;
}

export interface PasswordFormParams {
  readonly action: string;
  readonly csrf: string;
  /** Opaque value from the PIN step, posted back in a hidden field. */
  readonly ticket: string;
  readonly details: CertificateDetails;
  /** The holder sent a CSR: the key stayed with them, the download is the PEM chain. */
  readonly csr: boolean;
  /** Plain text, e.g. "The passwords do not match." */
  readonly error?: string;
  /** Minimum password length, stated on the page and set as `minlength`. */
  readonly minLength: number;
}

export function detailsList(d: CertificateDetails): string {
  return `<dl>
<dt>Subject</dt>
<dd>${escapeHtml(d.subject)}</dd>
<dt>Serial number</dt>
<dd><code>${escapeHtml(d.serial)}</code></dd>
<dt>Valid from</dt>
<dd>${timeElement(d.notBefore)}</dd>
<dt>Valid until</dt>
<dd>${timeElement(d.notAfter)}</dd>
<dt>SHA-256 fingerprint</dt>
<dd>${fingerprintHtml(d.sha256)}</dd>
</dl>`;
}

const CA_LINKS = `<h2>Certificate authority</h2>
<p>Programs that check your certificate need the certificate authority (CA) that issued it.
<a href="/ca/chain.pem">Download the CA chain</a> (PEM), or read
<a href="/ca">how to install the certificate authority</a> on your devices.</p>`;

/** Shows the certificate's details and asks for a file password (or, for a CSR, offers the PEM). */
export function renderPasswordForm(params: PasswordFormParams): string {
  const { action, csrf, ticket, details, csr, error } = params;
  const minLength = Math.max(1, Math.floor(params.minLength));
  const hasError = error !== undefined && error !== '';
  const invalid = hasError ? ' aria-invalid="true"' : '';
  const errorRef = hasError ? ' pickup-error' : '';

  const form = csr
    ? `<h2>Download</h2>
<p>You sent a certificate signing request, so your private key stayed with you and never
reached us. The download contains your certificate and the CA chain in PEM format; use it
together with the private key you already have.</p>
<form method="post" action="${escapeHtml(action)}">
${hiddenInput('csrf', csrf)}
${hiddenInput('ticket', ticket)}
<button type="submit"${hasError ? ' aria-describedby="pickup-error"' : ''}>Download certificate and chain (PEM)</button>
</form>`
    : `<h2>Choose a password for the file</h2>
<p>Your certificate and its private key come as one PKCS#12 file, protected by a password
you choose now. You need the password when you import the file; we cannot recover it.</p>
<p><strong>The file can be downloaded only once. After that the private key is destroyed
on our side</strong>, so keep the file and its password safe.</p>
<form method="post" action="${escapeHtml(action)}">
${hiddenInput('csrf', csrf)}
${hiddenInput('ticket', ticket)}
<div class="field">
<label for="password">Password</label>
<p class="hint" id="password-hint">At least ${minLength} characters. Do not use a common password.</p>
<input type="password" id="password" name="password" autocomplete="new-password" minlength="${minLength}" required aria-describedby="password-hint${errorRef}"${invalid}>
</div>
<div class="field">
<label for="confirm">Confirm password</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" minlength="${minLength}" required${hasError ? ' aria-describedby="pickup-error"' : ''}${invalid}>
</div>
<fieldset aria-describedby="format-hint">
<legend>File format</legend>
<p class="hint" id="format-hint">Both contain the same certificate and key; only the encryption of the file differs.</p>
<div class="choice">
<input type="radio" id="format-modern" name="format" value="modern" checked>
<label for="format-modern">Modern (AES-256, recommended)</label>
</div>
<div class="choice">
<input type="radio" id="format-compat" name="format" value="compat">
<label for="format-compat">Compatible (3DES, for older Windows, macOS, iOS and gpgsm)</label>
</div>
</fieldset>
<button type="submit">Download certificate (PKCS#12)</button>
</form>`;

  const body = `<h1>Collect your certificate</h1>
${errorRegion('pickup-error', hasError ? [error] : [])}
<h2>Your certificate</h2>
<p>Check that these details are what you expect.</p>
${detailsList(details)}
${form}
${CA_LINKS}`;
  return page({ title: hasError ? 'Error: Collect your certificate' : 'Collect your certificate', body });
}

export interface PickupMessageParams {
  readonly title: string;
  /** Plain-text paragraphs; escaped here. */
  readonly paragraphs: readonly string[];
  /** `error` puts the text in an alert region; default `info`. */
  readonly status?: 'info' | 'error';
}

/** A page with a heading and a few paragraphs: locked, expired, collected or unknown links. */
export function renderPickupMessage({ title, paragraphs, status = 'info' }: PickupMessageParams): string {
  const text = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const body =
    status === 'error'
      ? `<h1>${escapeHtml(title)}</h1>\n<div class="alert" role="alert">\n${text}\n</div>`
      : `<h1>${escapeHtml(title)}</h1>\n${text}`;
  return page({ title, body });
}
