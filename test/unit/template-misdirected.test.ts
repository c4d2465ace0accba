import { describe, expect, it } from 'vitest';
import type { MailTemplates } from '../../src/outbound/mailer.js';
import { createMailTemplates, renderAttachmentNotRead, renderForwardedDecision } from '../../src/templates/index.js';

const site = { mailDomain: 'ca.example.org', publicUrl: 'https://ca.example.org' };
const flat = (s: string): string => s.replace(/\s+/g, ' ');

describe('renderForwardedDecision', () => {
  it('says nothing was done and to press Reply on the original, not Forward', () => {
    const m = renderForwardedDecision({ ...site, address: 'help@ca.example.org' });
    const text = flat(m.text);
    expect(m.subject).toBe('Forwarded mail is not read as an answer');
    expect(text).toContain('Your mail to help@ca.example.org forwards a mail from this certificate authority. Nothing was done with it');
    expect(text).toContain('press Reply on the original mail (the one from mailca), not Forward');
    expect(m.html).toContain('press Reply on the original mail');
  });
});

describe('renderAttachmentNotRead', () => {
  it('names each file, what mailca reads and where it goes', () => {
    const m = renderAttachmentNotRead({ ...site, filenames: ['letter.pdf', '<b>x</b>.docx'] });
    const text = flat(m.text);
    expect(m.subject).toBe('Your attachments were not read');
    expect(text).toContain('these files were not read and nothing was done with them');
    expect(text).toContain('letter.pdf');
    expect(text).toContain('press Reply on the mail that brought the form and attach it, or send it to smime@ca.example.org');
    expect(text).toContain('attached to a mail to enrol@ca.example.org that also has the enrolment fields');
    // a file name is text, never markup
    expect(m.html).toContain('&lt;b&gt;x&lt;/b&gt;.docx');
    expect(m.html).not.toContain('<b>x</b>');
  });

  it('one file: the singular', () => {
    const m = renderAttachmentNotRead({ ...site, filenames: ['letter.pdf'] });
    expect(m.subject).toBe('Your attachment was not read');
    expect(flat(m.text)).toContain('this file was not read and nothing was done with it');
  });
});

describe('the mailer templates', () => {
  it('has forwardedDecision and attachmentNotRead', () => {
    const t: MailTemplates = createMailTemplates();
    expect(t.forwardedDecision({ ...site, address: 'smime@ca.example.org' }).subject).toBe('Forwarded mail is not read as an answer');
    expect(t.attachmentNotRead({ ...site, filenames: ['a.pdf'] }).subject).toBe('Your attachment was not read');
  });
});
