import { describe, expect, it } from 'vitest';
import { UNREADABLE_REASONS } from '../../src/domain/mime-limits.js';
import type { MailTemplates } from '../../src/outbound/mailer.js';
import { createMailTemplates, renderMailUnreadable, UNREADABLE_WORDS } from '../../src/templates/index.js';

const site = { mailDomain: 'ca.example.org', publicUrl: 'https://ca.example.org' };

describe('renderMailUnreadable', () => {
  it.each(UNREADABLE_REASONS)('%s: says what was wrong, that nothing was done, and what to send instead', (reason) => {
    const m = renderMailUnreadable({ ...site, reason });
    const text = m.text.replace(/\s+/g, ' ');
    expect(m.subject).toBe('We could not read your mail');
    expect(text).toContain(`We could not read your mail: ${UNREADABLE_WORDS[reason]}.`);
    expect(text).toContain('Nothing was done with it');
    expect(text).toContain('Send it again as plain text with at most 20 attachments.');
    expect(text).toContain('help@ca.example.org');
    expect(m.html).toContain('We could not read your mail');
  });

  it('names the limit that was crossed', () => {
    expect(UNREADABLE_WORDS['too-many-parts']).toContain('more than 100 parts');
    expect(UNREADABLE_WORDS['too-deep']).toContain('more than 12 levels');
  });

  it('is the mailer\'s `unreadable` template', () => {
    const t: MailTemplates = createMailTemplates();
    expect(t.unreadable({ ...site, reason: 'malformed' }).subject).toBe('We could not read your mail');
  });
});
