import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/templates/layout.js';
import type { RenderedMail } from '../../src/templates/rendered-mail.js';
import { renderHelp } from '../../src/templates/help.js';
import {
  formatDate,
  formatDateTime,
  journeyATemplates,
  renderActivationRequest,
  renderAlreadyDecided,
  renderApprovalRequest,
  renderCertificateActivated,
  renderEnrolmentCancelled,
  renderEnrolmentConfirm,
  renderEnrolmentDecided,
  renderEnrolmentProblems,
  renderEnrolmentSubmitted,
  renderPickupLocked,
  renderPickupLockedHolder,
  renderPickupReady,
  renderRequestStatus,
  type ApprovalRequestParams,
  type EnrolmentConfirmParams,
} from '../../src/templates/journey-a.js';
import type { EnrolmentTemplates } from '../../src/outbound/mailer.js';

const site = { mailDomain: 'ca.example.org', publicUrl: 'https://ca.example.org' };
const ref = 'R-7KQ3M2TXAB';
const at = new Date(Date.UTC(2026, 10, 23, 14, 5, 42));
const serial = '5f3a9c0e11d2b4a76c8e9f0a1b2c3d4e';

/** The visible text of the HTML part: tags dropped, entities decoded. */
function htmlText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** The text part with line breaks and indentation folded, for phrases that wrap. */
function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** Both parts, as a reader sees them. */
function parts(m: RenderedMail): string[] {
  return [flat(m.text), htmlText(m.html)];
}

function expectAll(m: RenderedMail, ...wanted: (string | RegExp)[]): void {
  for (const part of parts(m)) {
    for (const w of wanted) {
      if (typeof w === 'string') expect(part, w).toContain(w);
      else expect(part).toMatch(w);
    }
  }
}

function expectNone(m: RenderedMail, ...unwanted: string[]): void {
  for (const part of [m.subject, ...parts(m)]) for (const u of unwanted) expect(part, u).not.toContain(u);
}

/** The shared layout, accessibility basics, the footer and the CA page. */
function expectLayout(m: RenderedMail): void {
  expect(m.subject.length).toBeGreaterThan(0);
  expect(m.subject).not.toMatch(/[\r\n]/);
  expect(m.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
  expect(m.html).toContain(`<h1>${escapeHtml(m.subject)}</h1>`);
  expect(m.html).not.toMatch(/<img|<table|<script|<style|javascript:/i);
  for (const [, href] of m.html.matchAll(/<a href="([^"]+)">/g)) {
    const target = (href as string).replace(/^mailto:/, '').replace(/&amp;/g, '&');
    expect(m.text).toContain(target);
    expect(htmlText(m.html)).toContain(target);
  }
  // every mail with a link points to the CA page too (PRODUCT.md, journey A step 1)
  expect(m.html).toContain('<a href="https://ca.example.org/ca">https://ca.example.org/ca</a>');
  expect(m.text).toContain('https://ca.example.org/ca');
  expect(m.text).toContain('\n-- \n');
  expect(m.text).not.toMatch(/<\/?(p|a|ul|li|h\d|dl|dt|dd|code|pre|main|footer|html|body)\b/);
  for (const line of m.text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
}

/** Says what happens next, in some words. */
function expectNext(m: RenderedMail): void {
  expectAll(m, /What (happens next|to do)/);
}

const confirm: EnrolmentConfirmParams = {
  ...site,
  ref,
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'ada.lovelace@example.org',
  phone: '+442079460000',
  localAuthority: 'E0931',
  comments: 'For the planning team mailbox',
  keySource: 'rsa-3072',
  profileName: 'client (TLS client authentication)',
  validityDays: 730,
  pkcs12Formats: ['modern: AES-256-CBC with PBKDF2-HMAC-SHA256', 'compat: 3DES for older systems'],
  expiresAt: at,
};

const approval: ApprovalRequestParams = {
  ...site,
  ref,
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'ada.lovelace@example.org',
  phone: '+442079460000',
  localAuthority: 'E0931',
  comments: null,
  keySource: 'rsa-2048',
  validityDays: 730,
  requestedBy: 'clerk@council.example.org',
  confirmedAt: at,
  scope: 'local',
};

const pickup = { ...site, ref, url: 'https://ca.example.org/pickup/abcdefghijklmnopqrstuvwxyz', pin: '40172938', expiresAt: at, csr: false, serial };

/** One rendering of every kind, for the checks they all share. */
const every: [string, RenderedMail][] = [
  ['enrolmentProblems', renderEnrolmentProblems({ ...site, problems: ['Phone is missing.'] })],
  ['enrolmentConfirm', renderEnrolmentConfirm(confirm)],
  ['enrolmentConfirm csr', renderEnrolmentConfirm({ ...confirm, keySource: 'csr', pkcs12Formats: [] })],
  ['enrolmentCancelled', renderEnrolmentCancelled({ ...site, ref })],
  ['enrolmentSubmitted local', renderEnrolmentSubmitted({ ...site, ref, approvers: 'local' })],
  ['enrolmentSubmitted global', renderEnrolmentSubmitted({ ...site, ref, approvers: 'global' })],
  ['approvalRequest local', renderApprovalRequest(approval)],
  ['approvalRequest global', renderApprovalRequest({ ...approval, scope: 'global', keySource: 'csr', comments: 'x' })],
  ['enrolmentDecided approved', renderEnrolmentDecided({ ...site, ref, decision: 'approved', reason: null, decidedBy: 'admin@council.example.org' })],
  ['enrolmentDecided rejected', renderEnrolmentDecided({ ...site, ref, decision: 'rejected', reason: 'not a member of staff', decidedBy: 'admin@council.example.org' })],
  ['alreadyDecided approved', renderAlreadyDecided({ ...site, ref, decision: 'approved', decidedBy: 'admin@council.example.org', decidedAt: at })],
  ['alreadyDecided rejected', renderAlreadyDecided({ ...site, ref, decision: 'rejected', decidedBy: null, decidedAt: null })],
  ['alreadyDecided cancelled', renderAlreadyDecided({ ...site, ref, decision: 'cancelled', decidedBy: null, decidedAt: at })],
  ['pickupReady', renderPickupReady(pickup)],
  ['pickupReady csr', renderPickupReady({ ...pickup, csr: true })],
  ['pickupLocked', renderPickupLocked({ ...site, ref, holderEmail: 'ada.lovelace@example.org', serial })],
  ['pickupLockedHolder', renderPickupLockedHolder({ ...site, ref })],
  ['activationRequest', renderActivationRequest({ ...site, ref, serial, holderName: 'Ada Lovelace', holderEmail: 'ada.lovelace@example.org', localAuthority: 'E0931', collectedAt: at })],
  ['certificateActivated', renderCertificateActivated({ ...site, ref, serial, queue: 'planning-team' })],
  ['certificateActivated no queue', renderCertificateActivated({ ...site, ref, serial, queue: null })],
  ['requestStatus', renderRequestStatus({ ...site, ref, state: 'waiting for an administrator to approve it', lines: ['Received 23 November 2026.'] })],
];

describe('every journey A mail', () => {
  it.each(every)('%s follows the shared layout and points to the CA page', (_name, m) => expectLayout(m));

  it.each(every.filter(([name]) => name !== 'enrolmentProblems'))('%s shows the reference in the subject and the body', (_name, m) => {
    expect(m.subject).toContain(`[${ref}]`);
    expect(m.subject.endsWith(`[${ref}]`)).toBe(true);
    expectAll(m, ref);
  });

  it.each(every)('%s says what happens next', (_name, m) => expectNext(m));

  it('fits the mailer: one template per EnrolmentMailKind', () => {
    // Compile-time: a kind added to EnrolmentMailParams without a template fails the typecheck.
    const t: EnrolmentTemplates = journeyATemplates;
    expect(Object.keys(t).sort()).toEqual(
      ['activationRequest', 'alreadyDecided', 'approvalRequest', 'certificateActivated', 'certificateRevoked', 'enrolmentCancelled', 'renewalReminder', 'enrolmentConfirm', 'enrolmentDecided', 'enrolmentProblems', 'enrolmentSubmitted', 'pickupLocked', 'pickupLockedHolder', 'pickupReady', 'requestStatus'].sort(),
    );
    expect(t.enrolmentCancelled({ ...site, ref }).subject).toContain(ref);
  });

  it('tells the holder their certificate is revoked, when, and what to do', () => {
    const m = journeyATemplates.certificateRevoked({ ...site, ref, serial: '7f3a', revokedAt: at });
    expect(m.subject).toContain(`[${ref}]`);
    expect(m.text).toContain('7f3a');
    expect(m.text).toContain('23 November 2026');
    expect(m.text).toMatch(/did not ask for this/);
  });
});

describe('format', () => {
  it('prints dates in UTC, in words', () => {
    expect(formatDate(at)).toBe('23 November 2026');
    expect(formatDateTime(at)).toBe('23 November 2026, 14:05 UTC');
    expect(formatDateTime(new Date(Date.UTC(2027, 0, 3, 0, 7)))).toBe('3 January 2027, 00:07 UTC');
  });

  it('refuses an invalid date', () => {
    expect(() => formatDateTime(new Date('nope'))).toThrow(RangeError);
  });
});

describe('enrolment-problems', () => {
  const problems = ['Phone is missing: add a line "Phone: <number>".', 'Local authority code "X12" is not a letter and four digits, for example E0931.'];
  const m = renderEnrolmentProblems({ ...site, problems });

  it('lists every problem and says nothing was stored', () => {
    expectAll(m, ...problems, 'found 2 problems', 'Nothing was stored');
    expect(m.html.match(/<li>/g)?.length).toBeGreaterThanOrEqual(problems.length);
    expect(m.html).toContain('Phone: &lt;number&gt;');
  });

  it('counts one problem in words', () => {
    expectAll(renderEnrolmentProblems({ ...site, problems: ['Phone is missing.'] }), 'found one problem');
  });

  it('still says something useful with no problem given', () => {
    const empty = renderEnrolmentProblems({ ...site, problems: [] });
    expect(empty.html).not.toContain('<ul>\n\n</ul>');
    expectAll(empty, 'could not be read', 'Nothing was stored');
  });

  it('shows the same correct example as the help mail', () => {
    const pre = /<pre>([\s\S]*?)<\/pre>/;
    const ours = pre.exec(m.html)?.[1];
    expect(ours).toBeDefined();
    expect(ours).toBe(pre.exec(renderHelp(site).html)?.[1]);
    for (const f of ['To: enrol@ca.example.org', 'First name: ', 'Last name: ', 'Email: ', 'Phone: ', 'Local authority code: E0931', 'Challenge phrase: ', 'Comments: ', 'Key: rsa-']) {
      expect(m.text).toMatch(new RegExp(`^ *${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    }
    expectAll(m, 'enrol@ca.example.org', 'CSR');
  });
});

describe('enrolment-confirm', () => {
  const m = renderEnrolmentConfirm(confirm);

  it('restates the request', () => {
    expectAll(m, 'Ada', 'Lovelace', 'ada.lovelace@example.org', '+442079460000', 'E0931', 'For the planning team mailbox');
    expectAll(renderEnrolmentConfirm({ ...confirm, comments: null }), 'Comments: (none)');
  });

  it('states the security settings', () => {
    expectAll(m, 'client (TLS client authentication)', 'RSA 3072-bit', 'rsa-3072', '730 days', 'modern: AES-256-CBC with PBKDF2-HMAC-SHA256', 'compat: 3DES for older systems', 'PKCS#12');
  });

  it('explains a CSR request: the key stays with the holder, no PKCS#12', () => {
    const csr = renderEnrolmentConfirm({ ...confirm, keySource: 'csr', pkcs12Formats: [] });
    expectAll(csr, 'your own key from the attached certificate request (CSR): the private key never leaves you', 'the certificate and chain (no PKCS#12, you hold the key)');
    expectNone(csr, 'RSA 3072-bit', 'a PKCS#12 file');
  });

  it('asks for CONFIRM or CANCEL on the first line, once, until the expiry', () => {
    expectAll(m, 'CONFIRM', 'CANCEL', 'first line', '24 hours', '23 November 2026, 14:05 UTC', 'used once', 'did not ask for this', 'ignore this mail');
    expect(m.html).toContain('<code>CONFIRM</code>');
    expect(m.html).toContain('<code>CANCEL</code>');
  });

  it('never carries the challenge phrase: it is not a parameter, and the mail says it is slow-hashed', () => {
    // Compile-time: a params field named like a phrase fails the typecheck.
    const noPhraseField: Extract<keyof EnrolmentConfirmParams, `${string}hrase${string}` | `${string}ecret${string}`> extends never ? true : false = true;
    expect(noPhraseField).toBe(true);
    // A caller that forces one in anyway still gets nothing of it in the mail.
    const forced = renderEnrolmentConfirm({ ...confirm, challengePhrase: 'zebra violin teacup' } as EnrolmentConfirmParams);
    expectNone(forced, 'zebra violin teacup');
    expectAll(m, 'slow hash', 'does not repeat it');
  });
});

describe('enrolment-cancelled and enrolment-submitted', () => {
  it('confirms the cancellation and how to start again', () => {
    const m = renderEnrolmentCancelled({ ...site, ref });
    expect(m.subject).toMatch(/cancelled/);
    expectAll(m, 'cancelled', 'no certificate will be issued', 'enrol@ca.example.org');
  });

  it('says the request went to the local administrators', () => {
    const m = renderEnrolmentSubmitted({ ...site, ref, approvers: 'local' });
    expectAll(m, 'administrators for your local authority', 'link and a PIN', 'STATUS');
    expectNone(m, 'global');
  });

  it('says why it went to the global administrators', () => {
    const m = renderEnrolmentSubmitted({ ...site, ref, approvers: 'global' });
    expectAll(m, 'No administrator is registered for your local authority code', 'global administrators');
  });
});

describe('approval-request', () => {
  const m = renderApprovalRequest(approval);

  it('shows the request and who sent it', () => {
    expectAll(m, 'Ada Lovelace', 'ada.lovelace@example.org', '+442079460000', 'E0931', 'clerk@council.example.org', '23 November 2026, 14:05 UTC', 'RSA 2048-bit', '730 days', 'Comments: (none)');
    expect(m.subject).toContain('Ada Lovelace');
  });

  it('explains the commands: APPROVE, REJECT with a reason, STATUS; first decision wins', () => {
    expectAll(m, 'APPROVE', 'REJECT <reason>', 'REJECT not a member of staff', 'A reason is required', 'STATUS', 'first decision by any administrator counts', 'first line');
    expect(m.html).toContain('<code>REJECT &lt;reason&gt;</code>');
  });

  it('says why a global administrator got it', () => {
    expectNone(m, 'global administrators');
    const g = renderApprovalRequest({ ...approval, scope: 'global', keySource: 'csr' });
    expectAll(g, 'No administrator is registered for that local authority code', 'global administrators', "the holder's own key");
  });
});

describe('enrolment-decided', () => {
  it('approved: a collection link and PIN follow in a separate mail', () => {
    const m = renderEnrolmentDecided({ ...site, ref, decision: 'approved', reason: null, decidedBy: 'admin@council.example.org' });
    expect(m.subject).toMatch(/approved/);
    expectAll(m, 'approved by admin@council.example.org', 'separate mail', 'link and a PIN', 'shortly');
  });

  it('rejected: the reason and how to start again', () => {
    const m = renderEnrolmentDecided({ ...site, ref, decision: 'rejected', reason: 'not a member of staff', decidedBy: 'admin@council.example.org' });
    expect(m.subject).toMatch(/rejected/);
    expectAll(m, 'rejected by admin@council.example.org', 'The reason given: not a member of staff', 'send a new request', 'enrol@ca.example.org');
    expectAll(renderEnrolmentDecided({ ...site, ref, decision: 'rejected', reason: null, decidedBy: 'a@b.example' }), 'No reason was given');
  });
});

describe('already-decided', () => {
  it('says the reply changed nothing, with who and when', () => {
    const m = renderAlreadyDecided({ ...site, ref, decision: 'rejected', decidedBy: 'other@council.example.org', decidedAt: at });
    expectAll(m, 'already been rejected by other@council.example.org on 23 November 2026, 14:05 UTC', 'your reply changed nothing');
  });

  it('reads well without who or when', () => {
    const m = renderAlreadyDecided({ ...site, ref, decision: 'cancelled', decidedBy: null, decidedAt: null });
    expectAll(m, `had already been cancelled, so your reply changed nothing`);
    expectNone(m, 'null', 'undefined');
  });
});

describe('pickup-ready', () => {
  const m = renderPickupReady(pickup);

  it('gives the link and the PIN', () => {
    expectAll(m, pickup.url, pickup.pin);
    expect(m.html).toContain(`<a href="${pickup.url}">${pickup.url}</a>`);
    expect(m.html).toContain(`<code>${pickup.pin}</code>`);
    // the URL stays whole on one line of the text part
    expect(m.text.split('\n').some((l) => l.includes(pickup.url))).toBe(true);
  });

  it('explains the pickup: prefetch-safe, five tries, a file password, two formats, expiry, key destroyed', () => {
    expectAll(m, 'Opening it changes nothing', 'five wrong PINs', 'at least 12 characters', 'modern', 'compat', 'PKCS#12', 'CA chain', 'until 23 November 2026, 14:05 UTC', 'private key is destroyed', serial);
  });

  it('for a CSR: certificate and chain, no password or PKCS#12', () => {
    const csr = renderPickupReady({ ...pickup, csr: true });
    expectAll(csr, pickup.url, pickup.pin, 'Download your certificate and the CA chain', 'five wrong PINs', 'until 23 November 2026, 14:05 UTC');
    expectNone(csr, 'at least 12 characters', 'private key is destroyed', 'PKCS#12 file and');
  });
});

describe('pickup-locked', () => {
  it('tells support what happened and what to do', () => {
    const m = renderPickupLocked({ ...site, ref, holderEmail: 'ada.lovelace@example.org', serial });
    expectAll(m, 'five wrong PINs', 'ada.lovelace@example.org', serial, 'Contact the holder', 'new request', 'enrol@ca.example.org', `mailca show ${ref}`);
  });

  it('tells the holder how to start again', () => {
    const m = renderPickupLockedHolder({ ...site, ref });
    expectAll(m, 'locked', 'five wrong PINs', 'send a new request', 'enrol@ca.example.org', 'support team has been told');
  });
});

describe('activation-request and certificate-activated', () => {
  it('asks support to ACTIVATE, with the queue form and the CLI', () => {
    const m = renderActivationRequest({ ...site, ref, serial, holderName: 'Ada Lovelace', holderEmail: 'ada.lovelace@example.org', localAuthority: 'E0931', collectedAt: at });
    expectAll(m, 'ACTIVATE', 'ACTIVATE queue=<name>', 'ACTIVATE queue=planning-team', `mailca activate ${serial}`, 'Ada Lovelace', 'ada.lovelace@example.org', 'E0931', '23 November 2026, 14:05 UTC', serial);
    expect(m.html).toContain(`<a href="https://ca.example.org/api/certificates/${serial}">`);
  });

  it('tells the holder it is active, with the queue when there is one', () => {
    const m = renderCertificateActivated({ ...site, ref, serial, queue: 'planning-team' });
    expectAll(m, 'activated', serial, 'planning-team', 'RENEW', 'REVOKE <challenge phrase>');
    expectNone(renderCertificateActivated({ ...site, ref, serial, queue: null }), 'message queue', 'null');
  });
});

describe('request-status', () => {
  it('shows the state and every line', () => {
    const lines = ['Request received 23 November 2026.', 'Confirmed by the holder.'];
    const m = renderRequestStatus({ ...site, ref, state: 'waiting for an administrator to approve it', lines });
    expectAll(m, `Request ${ref} is waiting for an administrator to approve it.`, ...lines, 'changed nothing', 'STATUS');
  });

  it('has no empty details list', () => {
    const m = renderRequestStatus({ ...site, ref, state: 'active.', lines: [] });
    expectAll(m, `Request ${ref} is active.`);
    expectNone(m, 'Details', 'active..');
  });
});

describe('user input in HTML', () => {
  const evil = '<script>alert(1)</script>';
  const amp = 'Zoë & Co';

  const mails: [string, RenderedMail][] = [
    ['problems', renderEnrolmentProblems({ ...site, problems: [`First name "${evil}" is not allowed.`, amp] })],
    ['confirm', renderEnrolmentConfirm({ ...confirm, firstName: evil, lastName: amp, comments: `${evil} ${amp}`, profileName: amp })],
    ['approval', renderApprovalRequest({ ...approval, firstName: evil, lastName: amp, comments: evil, requestedBy: `"${amp}" <a@b.example>` })],
    ['decided', renderEnrolmentDecided({ ...site, ref, decision: 'rejected', reason: `${evil} ${amp}`, decidedBy: amp })],
    ['already', renderAlreadyDecided({ ...site, ref, decision: 'approved', decidedBy: `${evil} ${amp}`, decidedAt: at })],
    ['activation', renderActivationRequest({ ...site, ref, serial, holderName: `${evil} ${amp}`, holderEmail: 'a@b.example', localAuthority: 'E0931', collectedAt: at })],
    ['activated', renderCertificateActivated({ ...site, ref, serial, queue: `${evil} ${amp}` })],
    ['status', renderRequestStatus({ ...site, ref, state: amp, lines: [evil, amp] })],
  ];

  it.each(mails)('%s escapes it in the HTML part and keeps it as written in the text part', (_name, m) => {
    expect(m.html).not.toContain('<script>');
    expect(m.html).not.toContain('Zoë & Co');
    expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(m.html).toContain('Zoë &amp; Co');
    expect(m.text).toContain(evil);
    expect(m.text).toContain(amp);
  });

  it('keeps the subject on one line whatever the names hold', () => {
    const m = renderApprovalRequest({ ...approval, firstName: 'Ada\r\nBcc: x@evil.example', lastName: amp });
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.html).toContain('Zoë &amp; Co');
  });
});
