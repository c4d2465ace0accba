/**
 * The registrant's pages (journey B step 4): set up at /smime/<token> (Registrant Email
 * and Shared password, then a password and a challenge question and answer), collect at
 * /collect/<token> (email and password → the PKCS#12 and the chain), and forgot password
 * (the challenge answer sets a new one). Plain forms, labels tied to their inputs, errors
 * announced, no script.
 */
import { errorRegion, escapeHtml, hiddenInput, page } from './html.js';
import { detailsList, type CertificateDetails } from './pickup-pages.js';

interface Field {
  readonly id: string;
  readonly label: string;
  readonly type: 'text' | 'email' | 'password';
  readonly autocomplete: string;
  readonly hint?: string;
  readonly minLength?: number;
}

function fields(list: readonly Field[], errorId: string | null): string {
  return list
    .map((f) => {
      const described = [...(f.hint ? [`${f.id}-hint`] : []), ...(errorId ? [errorId] : [])].join(' ');
      return `<div class="field">
<label for="${f.id}">${escapeHtml(f.label)}</label>
${f.hint ? `<p class="hint" id="${f.id}-hint">${escapeHtml(f.hint)}</p>\n` : ''}<input type="${f.type}" id="${f.id}" name="${f.id}" autocomplete="${f.autocomplete}" required${f.minLength ? ` minlength="${f.minLength}"` : ''}${described ? ` aria-describedby="${described}"` : ''}${errorId ? ' aria-invalid="true"' : ''}>
</div>`;
    })
    .join('\n');
}

function form(o: { title: string; intro: string; action: string; csrf: string; hidden?: Record<string, string>; error?: string | undefined; fields: readonly Field[]; beforeButton?: string; button: string; extra?: string }): string {
  const errorId = o.error ? 'form-error' : null;
  const body = `<h1>${escapeHtml(o.title)}</h1>
${errorRegion('form-error', o.error ? [o.error] : [])}
<p>${escapeHtml(o.intro)}</p>
<form method="post" action="${escapeHtml(o.action)}">
${hiddenInput('csrf', o.csrf)}
${Object.entries(o.hidden ?? {})
  .map(([k, v]) => hiddenInput(k, v))
  .join('\n')}
${fields(o.fields, errorId)}
${o.beforeButton ?? ''}<button type="submit">${escapeHtml(o.button)}</button>
</form>
${o.extra ?? ''}`;
  return page({ title: o.error ? `Error: ${o.title}` : o.title, body });
}

const passwordFields = (minLength: number, label = 'Password'): Field[] => [
  { id: 'password', label, type: 'password', autocomplete: 'new-password', minLength, hint: `At least ${minLength} characters, not a common password. It protects your private key and the file you will download.` },
  { id: 'confirm', label: 'Confirm password', type: 'password', autocomplete: 'new-password', minLength },
];

export function renderVerifyForm(p: { action: string; csrf: string; error?: string }): string {
  return form({
    title: 'Set up your S/MIME certificate',
    intro: 'Enter your mail address and the shared password your organisation gave you.',
    action: p.action,
    csrf: p.csrf,
    error: p.error,
    fields: [
      { id: 'email', label: 'Registrant Email', type: 'email', autocomplete: 'email' },
      { id: 'shared', label: 'Shared password', type: 'password', autocomplete: 'off', hint: 'From your organisation, not by mail. After 5 wrong tries this link locks.' },
    ],
    button: 'Continue',
  });
}

export function renderSetupForm(p: { action: string; csrf: string; ticket: string; minLength: number; error?: string }): string {
  return form({
    title: 'Choose your password',
    intro: 'Choose a password for your private key, and a challenge question and answer in case you forget it.',
    action: p.action,
    csrf: p.csrf,
    hidden: { ticket: p.ticket },
    error: p.error,
    fields: [
      ...passwordFields(p.minLength),
      { id: 'question', label: 'Challenge question', type: 'text', autocomplete: 'off', hint: 'A question only you can answer, e.g. "Name of my first teacher?"' },
      { id: 'answer', label: 'Challenge answer', type: 'password', autocomplete: 'off', hint: 'Case and extra spaces do not matter.' },
    ],
    button: 'Make my certificate',
  });
}

export function renderCollectForm(p: { action: string; forgotAction: string; csrf: string; details: CertificateDetails; error?: string }): string {
  const body = form({
    title: 'Collect your S/MIME certificate',
    intro: 'Enter your mail address and the password you chose. The file you download is protected with that password.',
    action: p.action,
    csrf: p.csrf,
    error: p.error,
    fields: [
      { id: 'email', label: 'Registrant Email', type: 'email', autocomplete: 'email' },
      { id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
    ],
    button: 'Download certificate (PKCS#12)',
    extra: `${detailsList(p.details)}
<p><a href="/ca/chain.pem">Download the CA chain</a> · <a href="/ca">How to install the CA</a></p>
<h2>Forgot your password?</h2>
<form method="post" action="${escapeHtml(p.forgotAction)}">
${hiddenInput('csrf', p.csrf)}
<div class="field">
<label for="forgot-email">Mail address</label>
<input type="email" id="forgot-email" name="email" autocomplete="email" required>
</div>
<button type="submit">Answer my challenge question</button>
</form>`,
  });
  // the format choice goes inside the download form, before its button
  return body.replace(
    '<button type="submit">Download certificate (PKCS#12)</button>',
    `<fieldset>
<legend>File format</legend>
<div><input type="radio" id="format-modern" name="format" value="modern" checked> <label for="format-modern">Modern (AES-256, recommended)</label></div>
<div><input type="radio" id="format-compat" name="format" value="compat"> <label for="format-compat">Compatible (3DES, for older Windows, macOS, iOS and gpgsm)</label></div>
</fieldset>
<button type="submit">Download certificate (PKCS#12)</button>`,
  );
}

export function renderForgotForm(p: { action: string; csrf: string; ticket: string; question: string; minLength: number; error?: string }): string {
  return form({
    title: 'Set a new password',
    intro: `Your challenge question: ${p.question}`,
    action: p.action,
    csrf: p.csrf,
    hidden: { ticket: p.ticket },
    error: p.error,
    fields: [{ id: 'answer', label: 'Challenge answer', type: 'password', autocomplete: 'off' }, ...passwordFields(p.minLength, 'New password')],
    button: 'Set the new password',
  });
}

/** /revoke/<token>: the challenge answer authorises revocation; the holder says why (the CRL reason). */
export function renderRevokeForm(p: { action: string; csrf: string; question: string; details: CertificateDetails; reasons: readonly { reason: string; label: string }[]; error?: string }): string {
  const reasons = p.reasons
    .map((r) => `<div><input type="radio" id="reason-${escapeHtml(r.reason)}" name="reason" value="${escapeHtml(r.reason)}" required> <label for="reason-${escapeHtml(r.reason)}">${escapeHtml(r.label)}</label></div>`)
    .join('\n');
  return form({
    title: 'Revoke your S/MIME certificate',
    intro: `Revocation cannot be undone. Your challenge question: ${p.question}`,
    action: p.action,
    csrf: p.csrf,
    error: p.error,
    fields: [
      { id: 'email', label: 'Registrant Email', type: 'email', autocomplete: 'email' },
      { id: 'answer', label: 'Challenge answer', type: 'password', autocomplete: 'off', hint: 'Case and extra spaces do not matter. After 5 wrong tries this link locks.' },
    ],
    beforeButton: `<fieldset>
<legend>Why should it be revoked?</legend>
${reasons}
</fieldset>
`,
    button: 'Revoke my certificate',
    extra: detailsList(p.details),
  });
}
