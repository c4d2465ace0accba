import { describe, expect, it } from 'vitest';
import { createMailTemplates, escapeHtml, REPLY_REFUSALS, renderHelp, renderReplyRefused, renderServiceUnavailable, type RefusalReason, type RenderedMail } from '../../src/templates/index.js';
import type { ReplyRefusal, RenderedMail as PortRenderedMail } from '../../src/workflow/ports.js';
import type { MailTemplates } from '../../src/outbound/mailer.js';

const site = { mailDomain: 'ca.example.org', publicUrl: 'https://ca.example.org' };

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

/** Checks every mail shares: the layout, accessibility basics, and the footer. */
function expectLayout(m: RenderedMail): void {
  expect(m.subject.length).toBeGreaterThan(0);
  expect(m.subject).not.toMatch(/[\r\n]/);
  expect(m.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
  expect(m.html).toContain('<meta charset="utf-8">');
  expect(m.html).toContain(`<title>${escapeHtml(m.subject)}</title>`);
  expect(m.html).toContain(`<h1>${escapeHtml(m.subject)}</h1>`);
  expect(m.html).not.toMatch(/<img|<table|<script|<style|javascript:/i);
  // every link is written out: in the text part, and as visible text in the HTML part
  for (const [, href] of m.html.matchAll(/<a href="([^"]+)">/g)) {
    const target = (href as string).replace(/^mailto:/, '');
    expect(m.text).toContain(target);
    expect(htmlText(m.html)).toContain(target);
  }
  // footer: automatic mail, and where to install the CA certificates
  for (const part of [flat(m.text), htmlText(m.html)]) {
    expect(part).toContain('automatic mail from the mailca certificate authority');
    expect(part).toContain('https://ca.example.org/ca');
  }
  expect(m.text).toContain('\n-- \n');
  expect(m.text.endsWith('\n')).toBe(true);
  // plain text is plain, and lines stay readable (URLs are never broken)
  expect(m.text).not.toMatch(/<\/?(p|a|ul|li|h\d|dl|dt|dd|code|pre|main|footer|html|body)\b/);
  for (const line of m.text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
}

describe('escapeHtml', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['a & b', 'a &amp; b'],
    [`"quoted" and 'single'`, '&quot;quoted&quot; and &#39;single&#39;'],
    ['&amp;', '&amp;amp;'],
    ['Zoë Ørsted', 'Zoë Ørsted'],
  ])('escapes %j', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });
});

describe('help', () => {
  const m = renderHelp(site);

  it('follows the shared layout', () => expectLayout(m));

  it('names every address', () => {
    for (const part of [flat(m.text), htmlText(m.html)]) {
      for (const a of ['enrol@ca.example.org', 'smime@ca.example.org', 'help@ca.example.org', 'reply+']) expect(part).toContain(a);
    }
  });

  it('explains every reply command from PRODUCT.md', () => {
    const commands = ['CONFIRM', 'CANCEL', 'APPROVE', 'APPROVE ALL', 'APPROVE 1,3-5', 'APPROVE ALL EXCEPT 4', 'REJECT <reason>', 'REJECT 2 <reason>', 'ACTIVATE [queue=<name>]', 'RENEW', 'REVOKE <challenge phrase>', 'STATUS', 'RECOVER <registrant email>'];
    for (const part of [flat(m.text), htmlText(m.html)]) {
      for (const c of commands) expect(part, c).toContain(c);
      expect(part).toMatch(/first line of your reply/);
      expect(part).toMatch(/order form/);
    }
    // angle brackets of the placeholders are escaped in the HTML part
    expect(m.html).toContain('REJECT &lt;reason&gt;');
    expect(m.html).not.toContain('<reason>');
  });

  it('shows an example enrolment mail with Field: value lines', () => {
    const fields = ['First name: ', 'Last name: ', 'Email: ', 'Phone: ', 'Local authority code: E0931', 'Challenge phrase: ', 'Comments: ', 'Key: rsa-'];
    for (const f of fields) {
      expect(m.text).toMatch(new RegExp(`^ *${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
      expect(m.html).toContain(f);
    }
    expect(m.html).toMatch(/<pre>To: enrol@ca\.example\.org\n/);
    for (const k of ['rsa-2048', 'rsa-3072', 'rsa-4096', 'CSR']) expect(m.text).toContain(k);
  });

  it('links the CA installation page', () => {
    expect(m.html).toContain('<a href="https://ca.example.org/ca">https://ca.example.org/ca</a>');
  });

  it('does not break the public URL with a trailing slash', () => {
    const m2 = renderHelp({ ...site, publicUrl: 'https://ca.example.org/' });
    expect(m2.text).toContain('https://ca.example.org/ca');
    expect(m2.text).not.toContain('https://ca.example.org//ca');
  });
});

describe('reply-refused', () => {
  it('covers exactly the ReplyRefusal values of the Mailer port', () => {
    // Compile-time: a value added to ReplyRefusal without a text here fails the typecheck.
    const every: Record<ReplyRefusal, true> = { 'token-unknown': true, 'token-expired': true, 'token-used': true, 'not-recipient': true, 'several-senders': true, 'dmarc-failed': true, 'sender-not-aligned': true, 'sender-dns-failed': true, 'no-command': true };
    const sameType: ReplyRefusal extends RefusalReason ? (RefusalReason extends ReplyRefusal ? true : false) : false = true;
    expect(sameType).toBe(true);
    expect([...REPLY_REFUSALS].sort()).toEqual(Object.keys(every).sort());
  });

  const rendered = REPLY_REFUSALS.map((why) => [why, renderReplyRefused({ ...site, why })] as const);

  it.each(rendered)('%s follows the shared layout', (_why, m) => expectLayout(m));

  it.each(rendered)('%s says nothing changed and what to do next', (_why, m) => {
    for (const part of [flat(m.text), htmlText(m.html)]) {
      expect(part).toContain('Nothing was changed');
      expect(part).toContain('What to do next');
    }
  });

  it('gives every reason its own subject and explanation', () => {
    const subjects = new Set(rendered.map(([, m]) => m.subject));
    expect(subjects.size).toBe(REPLY_REFUSALS.length);
    const bodies = new Set(rendered.map(([, m]) => m.text.split('Nothing was changed')[0]));
    expect(bodies.size).toBe(REPLY_REFUSALS.length);
  });

  const expectations: Record<RefusalReason, RegExp[]> = {
    'token-unknown': [/did not issue/, /Reply button/],
    'token-expired': [/limited time/, /24 hours/, /start again/, /enrol@ca\.example\.org/],
    'token-used': [/already received/, /first answer stands/, /STATUS/],
    'not-recipient': [/different address/, /Reply from the mailbox the mail was sent to/],
    'several-senders': [/more than one address/, /single address/],
    'dmarc-failed': [/check that failed is DMARC/, /SPF/, /DKIM/, /mail administrator/],
    'sender-not-aligned': [/check that failed is sender authentication/, /DKIM signature/, /SPF record for your domain/, /mail administrator/],
    'sender-dns-failed': [/temporary DNS failure/, /Reply again later/, /mail administrator/],
    'no-command': [/first line/, /CONFIRM/, /help@ca\.example\.org/],
  };

  it.each(REPLY_REFUSALS)('%s explains what was wrong', (why) => {
    const m = renderReplyRefused({ ...site, why });
    for (const re of expectations[why]) {
      expect(flat(m.text)).toMatch(re);
      expect(htmlText(m.html)).toMatch(re);
    }
  });

  it('escapes the placeholders of the no-command text', () => {
    const m = renderReplyRefused({ ...site, why: 'no-command' });
    expect(m.html).toContain('<code>REJECT &lt;reason&gt;</code>');
  });
});

describe('service-unavailable', () => {
  it.each([
    ['enrol@', 'enrol@ca.example.org', 'client certificates'],
    ['enrol', 'enrol@ca.example.org', 'client certificates'],
    ['smime@ca.example.org', 'smime@ca.example.org', 'S/MIME'],
  ])('for %j says the address is not enabled and what to do', (given, full, purpose) => {
    const m = renderServiceUnavailable({ ...site, address: given });
    expectLayout(m);
    expect(m.subject).toBe(`${full} is not available yet`);
    for (const part of [flat(m.text), htmlText(m.html)]) {
      expect(part).toContain(full);
      expect(part).toContain(purpose);
      expect(part).toContain('not enabled');
      expect(part).toContain('nothing was recorded');
      expect(part).toContain('What to do next');
      expect(part).toContain('send your mail again');
      expect(part).toContain('help@ca.example.org');
    }
  });

  it('escapes an address that carries markup', () => {
    const m = renderServiceUnavailable({ ...site, address: '<b>x</b>&"y"@ca.example.org' });
    expect(m.html).not.toContain('<b>');
    expect(m.html).toContain('&lt;b&gt;x&lt;/b&gt;&amp;&quot;y&quot;@ca.example.org');
    expect(m.text).toContain('<b>x</b>&"y"@ca.example.org');
  });
});

describe('site values in HTML', () => {
  it('escapes the mail domain and public URL wherever they appear', () => {
    const evil = { mailDomain: 'ca.example.org"><script>', publicUrl: 'https://ca.example.org/?a=1&b="2"' };
    for (const m of [renderHelp(evil), renderReplyRefused({ ...evil, why: 'token-used' }), renderServiceUnavailable({ ...evil, address: 'enrol@' })]) {
      expect(m.html).not.toContain('<script>');
      expect(m.html).not.toMatch(/href="[^"]*"[^>\s]/); // no attribute broken out of
      expect(m.html).toContain('https://ca.example.org/?a=1&amp;b=&quot;2&quot;/ca');
    }
  });

  it('never writes a link with a scheme other than http(s) or mailto', () => {
    const m = renderHelp({ mailDomain: 'ca.example.org', publicUrl: 'javascript:alert(1)//' });
    expect(m.html).not.toMatch(/href="javascript:/i);
    expect(m.text).toContain('javascript:alert(1)/ca'); // shown as text, not as a link
  });
});

describe('createMailTemplates', () => {
  it('fits the mailer and the port types', () => {
    const t: MailTemplates = createMailTemplates();
    const m: PortRenderedMail = t.help(site);
    expect(m.subject).toBe(renderHelp(site).subject);
    expect(t.replyRefused({ ...site, why: 'dmarc-failed' }).text).toContain('DMARC');
    expect(t.serviceUnavailable({ ...site, address: 'smime@' }).subject).toContain('smime@ca.example.org');
  });
});
