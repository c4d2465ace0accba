import { describe, expect, it } from 'vitest';
import { renderCaPage } from '../../src/http/pages/ca-page.js';
import { escapeHtml, formatFingerprint, formatUtc, page } from '../../src/http/pages/html.js';
import { renderPasswordForm, renderPickupMessage, renderPinForm } from '../../src/http/pages/pickup-pages.js';
import { renderRevokeForm } from '../../src/http/pages/smime-pages.js';
import { SUBSCRIBER_REASONS } from '../../src/domain/revocation.js';

const EVIL = `<script>alert("x")</script>&'`;
const FP = 'ab'.repeat(32);

/** The opening tag of the element with this id (exactly one must exist). */
function elementById(html: string, id: string): string {
  const tags = html.match(new RegExp(`<[a-z]+\\b[^>]*\\sid="${id}"[^>]*>`, 'g')) ?? [];
  expect(tags, `one element with id="${id}"`).toHaveLength(1);
  return tags[0]!;
}

/** The control whose <label for> has exactly this text. */
function controlByLabel(html: string, label: string): string {
  const labels = [...html.matchAll(/<label for="([^"]+)">([^<]*)<\/label>/g)].filter((m) => m[2] === label);
  expect(labels, `one label "${label}"`).toHaveLength(1);
  const tag = elementById(html, labels[0]![1]!);
  expect(tag).toMatch(/^<(input|select|textarea)\b/);
  return tag;
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

/** Structure every page shares: accessible skeleton, no scripts, no external resources. */
function expectSoundPage(html: string): void {
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html).toContain('<html lang="en">');
  expect(html).toMatch(/<title>[^<]+<\/title>/);
  expect(html).toMatch(/<main>[\s\S]*<h1>[^<]+<\/h1>[\s\S]*<\/main>/);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\son[a-z]+=/i);
  expect(html).not.toMatch(/javascript:/i);
  expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
  expect(html).not.toMatch(/\ssrc=/i);
  expect(html).not.toMatch(/url\(/i);
  // Ids are unique, and aria-describedby points at ids that exist.
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  expect(new Set(ids).size).toBe(ids.length);
  for (const m of html.matchAll(/aria-describedby="([^"]+)"/g)) {
    for (const ref of m[1]!.split(' ')) expect(ids).toContain(ref);
  }
  // Every visible input has a label.
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const type = attr(m[0], 'type');
    if (type === 'hidden' || type === 'submit') continue;
    const id = attr(m[0], 'id');
    expect(id, m[0]).toBeDefined();
    expect(html).toContain(`<label for="${id}">`);
  }
}

function expectNoRawEvil(html: string): void {
  expect(html).not.toContain('<script>');
  expect(html).not.toContain('alert("x")');
  expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
}

function hiddenValue(html: string, name: string): string | undefined {
  const tag = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html);
  return tag?.[1];
}

describe('html helpers', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml(42)).toBe('42');
  });

  it('prints dates in UTC', () => {
    expect(formatUtc(new Date('2026-11-23T14:05:59Z'))).toBe('23 November 2026, 14:05 UTC');
    expect(formatUtc(new Date('2027-01-02T03:04:00+05:00'))).toBe('1 January 2027, 22:04 UTC');
  });

  it('formats fingerprints as colon-separated upper-case pairs', () => {
    expect(formatFingerprint(FP)).toBe(Array(32).fill('AB').join(':'));
    expect(formatFingerprint(Array(32).fill('ab').join(':'))).toBe(Array(32).fill('AB').join(':'));
    expect(formatFingerprint('not hex')).toBe('not hex');
  });

  it('lays out a page with an escaped title', () => {
    const html = page({ title: EVIL, body: '<h1>x</h1>' });
    expectSoundPage(html);
    expect(html).toContain('<title>&lt;script&gt;');
  });
});

describe('CA page', () => {
  const params = {
    publicUrl: 'https://ca.example.org/',
    root: { subject: 'CN=mailca Root', sha256: FP, notAfter: new Date('2045-01-01T00:00:00Z') },
    issuing: { subject: 'CN=mailca Issuing', sha256: 'cd'.repeat(32), notAfter: new Date('2035-06-30T12:00:00Z') },
  };
  const html = renderCaPage(params);

  it('is a sound page with the download links', () => {
    expectSoundPage(html);
    expect(html).toContain('<h1>Install the certificate authority</h1>');
    for (const href of ['/ca/root.pem', '/ca/root.der', '/ca/issuing.pem', '/ca/issuing.der', '/ca/chain.pem']) {
      expect(html).toContain(`<a href="${href}">`);
    }
    expect(html).toContain('<a href="https://ca.example.org/ca">');
  });

  it('shows both certificates and asks to compare fingerprints', () => {
    expect(html).toContain('CN=mailca Root');
    expect(html).toContain('CN=mailca Issuing');
    expect(html).toContain(Array(32).fill('AB').join(':'));
    expect(html).toContain(Array(32).fill('CD').join(':'));
    expect(html).toContain('1 January 2045, 00:00 UTC');
    expect(html).toMatch(/compare its SHA-256 fingerprint/);
  });

  it('covers every platform', () => {
    for (const text of [
      'Trusted Root Certification Authorities',
      'Intermediate Certification Authorities',
      'Local Machine',
      'Keychain Access',
      'Always Trust',
      '/usr/local/share/ca-certificates/',
      'update-ca-certificates',
      'certutil -A -d sql:$HOME/.pki/nssdb -n &quot;mailca root&quot; -t &quot;CT,C,C&quot; -i root.pem',
      'Certificate Trust Settings',
      'Install a certificate',
    ]) {
      expect(html).toContain(text);
    }
    for (const h of ['Windows', 'macOS', 'Linux', 'iPhone and iPad', 'Android']) expect(html).toContain(`<h2>${h}</h2>`);
  });

  it('escapes every value', () => {
    const evil = renderCaPage({
      publicUrl: `https://x/"><script>`,
      root: { subject: EVIL, sha256: EVIL, notAfter: new Date(0) },
      issuing: { subject: EVIL, sha256: EVIL, notAfter: new Date(0) },
    });
    expectSoundPage(evil);
    expectNoRawEvil(evil);
    expect(evil).toContain('href="https://x/&quot;&gt;&lt;script&gt;/ca"');
  });
});

describe('PIN form', () => {
  it('has a labelled PIN field, the csrf field and no alert without an error', () => {
    const html = renderPinForm({ action: '/pickup/abc', csrf: 'tok-123' });
    expectSoundPage(html);
    expect(html).toContain('<h1>Collect your certificate</h1>');
    expect(html).toContain('<form method="post" action="/pickup/abc">');
    expect(hiddenValue(html, 'csrf')).toBe('tok-123');
    const pin = controlByLabel(html, 'PIN');
    expect(attr(pin, 'name')).toBe('pin');
    expect(attr(pin, 'inputmode')).toBe('numeric');
    expect(attr(pin, 'autocomplete')).toBe('one-time-code');
    expect(attr(pin, 'pattern')).toBe('[0-9]{8}');
    expect(pin).toMatch(/\srequired[\s>]/);
    expect(pin).not.toContain('aria-invalid');
    expect(html).toContain('same email as the link');
    expect(html).toContain('After 5 wrong PINs the link locks.');
    expect(html).toMatch(/<button type="submit">Continue<\/button>/);
    expect(html).not.toContain('role="alert"');
  });

  it('shows the error and attempts left in an alert linked to the field', () => {
    const html = renderPinForm({ action: '/pickup/abc', csrf: 'c', error: 'That PIN is not right.', attemptsLeft: 3 });
    expectSoundPage(html);
    const alert = elementById(html, 'pin-error');
    expect(alert).toContain('role="alert"');
    expect(html).toMatch(/role="alert" id="pin-error">\s*<p>That PIN is not right\.<\/p>\s*<p>You have 3 attempts left\.<\/p>/);
    const pin = controlByLabel(html, 'PIN');
    expect(attr(pin, 'aria-describedby')?.split(' ')).toContain('pin-error');
    expect(attr(pin, 'aria-invalid')).toBe('true');
    expect(html).toContain('<title>Error: Collect your certificate');
    expect(renderPinForm({ action: '/p', csrf: 'c', error: 'No.', attemptsLeft: 1 })).toContain('You have 1 attempt left.');
  });

  it('escapes action, csrf and error', () => {
    const html = renderPinForm({ action: EVIL, csrf: EVIL, error: EVIL });
    expectSoundPage(html);
    expectNoRawEvil(html);
    expect(hiddenValue(html, 'csrf')).toBe(escapeHtml(EVIL));
  });
});

describe('password form', () => {
  const details = {
    subject: 'CN=Ada Lovelace,E=ada@example.org',
    serial: '4F2A9C',
    notBefore: new Date('2025-11-23T14:05:00Z'),
    notAfter: new Date('2026-11-23T14:05:00Z'),
    sha256: FP,
  };
  const base = { action: '/pickup/abc', csrf: 'csrf-1', ticket: 'ticket-1', details, minLength: 12 };

  it('shows the certificate details', () => {
    const html = renderPasswordForm({ ...base, csr: false });
    expectSoundPage(html);
    const dl = /<dl>([\s\S]*?)<\/dl>/.exec(html)?.[1] ?? '';
    const terms = [...dl.matchAll(/<dt>([^<]*)<\/dt>/g)].map((m) => m[1]);
    expect(terms).toEqual(['Subject', 'Serial number', 'Valid from', 'Valid until', 'SHA-256 fingerprint']);
    expect(dl).toContain('CN=Ada Lovelace,E=ada@example.org');
    expect(dl).toContain('4F2A9C');
    expect(dl).toContain('23 November 2025, 14:05 UTC');
    expect(dl).toContain('23 November 2026, 14:05 UTC');
    expect(dl).toContain(Array(32).fill('AB').join(':'));
  });

  it('asks for a password, its confirmation and the file format', () => {
    const html = renderPasswordForm({ ...base, csr: false });
    expect(hiddenValue(html, 'csrf')).toBe('csrf-1');
    expect(hiddenValue(html, 'ticket')).toBe('ticket-1');
    const pw = controlByLabel(html, 'Password');
    expect(attr(pw, 'name')).toBe('password');
    expect(attr(pw, 'type')).toBe('password');
    expect(attr(pw, 'autocomplete')).toBe('new-password');
    expect(attr(pw, 'minlength')).toBe('12');
    const confirm = controlByLabel(html, 'Confirm password');
    expect(attr(confirm, 'name')).toBe('confirm');
    expect(attr(confirm, 'type')).toBe('password');
    expect(html).toMatch(/<fieldset[^>]*>\s*<legend>File format<\/legend>/);
    const modern = controlByLabel(html, 'Modern (AES-256, recommended)');
    expect(attr(modern, 'type')).toBe('radio');
    expect(attr(modern, 'value')).toBe('modern');
    expect(modern).toMatch(/\schecked[\s>]/);
    const compat = controlByLabel(html, 'Compatible (3DES, for older Windows, macOS, iOS and gpgsm)');
    expect(attr(compat, 'value')).toBe('compat');
    expect(attr(compat, 'name')).toBe(attr(modern, 'name'));
    expect(compat).not.toContain('checked');
    expect(html).toContain('<button type="submit">Download certificate (PKCS#12)</button>');
    expect(html).toContain('At least 12 characters');
    expect(html).toContain('common password');
    expect(html).toContain('downloaded only once');
    expect(html).toContain('private key is destroyed');
    expect(html).toContain('<a href="/ca/chain.pem">Download the CA chain</a>');
    expect(html).toContain('<a href="/ca">');
    expect(html).not.toContain('role="alert"');
  });

  it('links an error to the password fields', () => {
    const html = renderPasswordForm({ ...base, csr: false, error: 'The passwords do not match.' });
    expectSoundPage(html);
    expect(html).toMatch(/role="alert" id="pickup-error">\s*<p>The passwords do not match\.<\/p>/);
    expect(attr(controlByLabel(html, 'Password'), 'aria-describedby')?.split(' ')).toContain('pickup-error');
    expect(attr(controlByLabel(html, 'Confirm password'), 'aria-describedby')).toBe('pickup-error');
    expect(attr(controlByLabel(html, 'Password'), 'aria-invalid')).toBe('true');
  });

  it('offers the PEM download without password fields for a CSR', () => {
    const html = renderPasswordForm({ ...base, csr: true });
    expectSoundPage(html);
    expect(html).not.toMatch(/<input type="password"/);
    expect(html).not.toContain('<label');
    expect(hiddenValue(html, 'csrf')).toBe('csrf-1');
    expect(hiddenValue(html, 'ticket')).toBe('ticket-1');
    expect(html).toContain('<button type="submit">Download certificate and chain (PEM)</button>');
    expect(html).toContain('private key stayed with you');
    expect(html).toContain('<a href="/ca/chain.pem">Download the CA chain</a>');
    const withError = renderPasswordForm({ ...base, csr: true, error: 'Try again.' });
    expectSoundPage(withError);
    expect(withError).toContain('role="alert"');
  });

  it('escapes every value', () => {
    for (const csr of [false, true]) {
      const html = renderPasswordForm({
        action: EVIL,
        csrf: EVIL,
        ticket: EVIL,
        details: { subject: EVIL, serial: EVIL, notBefore: new Date(0), notAfter: new Date(0), sha256: EVIL },
        csr,
        error: EVIL,
        minLength: 12,
      });
      expectSoundPage(html);
      expectNoRawEvil(html);
      expect(hiddenValue(html, 'ticket')).toBe(escapeHtml(EVIL));
    }
  });
});

describe('pickup message', () => {
  it('renders info text without an alert', () => {
    const html = renderPickupMessage({ title: 'Already collected', paragraphs: ['One.', 'Two.'] });
    expectSoundPage(html);
    expect(html).toContain('<h1>Already collected</h1>');
    expect(html).toContain('<p>One.</p>\n<p>Two.</p>');
    expect(html).not.toContain('role="alert"');
  });

  it('puts an error in an alert and escapes everything', () => {
    const html = renderPickupMessage({ title: EVIL, paragraphs: [EVIL], status: 'error' });
    expectSoundPage(html);
    expectNoRawEvil(html);
    expect(html).toMatch(/role="alert">\s*<p>&lt;script&gt;/);
  });
});

describe('S/MIME revocation form', () => {
  const details = { subject: 'CN=Ann Arbor,E=ann@example.org', serial: '4F2A9C', notBefore: new Date('2025-11-23T14:05:00Z'), notAfter: new Date('2026-11-23T14:05:00Z'), sha256: FP };
  const base = { action: '/revoke/abc', csrf: 'csrf-1', question: 'Name of my first pet?', details, reasons: SUBSCRIBER_REASONS };

  it('asks for the Registrant Email, the Challenge answer and a reason, with the question and the certificate shown', () => {
    const html = renderRevokeForm(base);
    expectSoundPage(html);
    expect(hiddenValue(html, 'csrf')).toBe('csrf-1');
    expect(attr(controlByLabel(html, 'Registrant Email'), 'name')).toBe('email');
    const answer = controlByLabel(html, 'Challenge answer');
    expect(attr(answer, 'name')).toBe('answer');
    expect(attr(answer, 'type')).toBe('password');
    expect(html).toContain('Name of my first pet?');
    expect(html).toMatch(/<fieldset[^>]*>\s*<legend>Why should it be revoked\?<\/legend>/);
    const radios = SUBSCRIBER_REASONS.map((r) => controlByLabel(html, r.label));
    expect(radios.map((t) => attr(t, 'value'))).toEqual(['keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation']);
    // a reason must be chosen; none is preselected (the holder says why)
    for (const t of radios) {
      expect(attr(t, 'name')).toBe('reason');
      expect(t).toMatch(/\srequired[\s>]/);
      expect(t).not.toContain('checked');
    }
    expect(html).toContain('<button type="submit">Revoke my certificate</button>');
    expect(html).toContain('4F2A9C');
    expect(html).not.toContain('role="alert"');
  });

  it('links an error to the fields and escapes the question', () => {
    const html = renderRevokeForm({ ...base, question: EVIL, error: 'The challenge answer is not right. 4 tries are left.' });
    expectSoundPage(html);
    expectNoRawEvil(html);
    expect(attr(controlByLabel(html, 'Challenge answer'), 'aria-invalid')).toBe('true');
    expect(html).toMatch(/role="alert"[^>]*>\s*<p>The challenge answer is not right\. 4 tries are left\.<\/p>/);
  });
});
