import { describe, expect, it } from 'vitest';
import type { MailTemplates } from '../../src/outbound/mailer.js';
import { createMailTemplates, ENCRYPTED_SUBJECT, renderMailEncrypted } from '../../src/templates/index.js';

const site = { mailDomain: 'ca.example.org', publicUrl: 'https://ca.example.org' };

describe('renderMailEncrypted', () => {
  it('says the mail was encrypted, that nothing was done, and how to send it unencrypted', () => {
    const m = renderMailEncrypted(site);
    const text = m.text.replace(/\s+/g, ' ');
    expect(m.subject).toBe(ENCRYPTED_SUBJECT);
    expect(text).toContain('mailca cannot read encrypted mail');
    expect(text).toContain('Nothing was done with it');
    expect(text).toContain('Reply again to the same mail without encryption');
    expect(text).toMatch(/In Outlook: .*Encrypt/);
    expect(text).toMatch(/In Thunderbird: .*Encrypt/);
    expect(text).toContain('Signing your mail is fine');
    expect(text).toContain('help@ca.example.org');
    expect(m.html).toContain('mailca cannot read encrypted mail');
  });

  it("is the mailer's `encrypted` template", () => {
    const t: MailTemplates = createMailTemplates();
    expect(t.encrypted(site).subject).toBe(ENCRYPTED_SUBJECT);
  });
});
