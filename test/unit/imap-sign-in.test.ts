/**
 * The IMAP URL with OAuth (a user, no password) and the server's answer to a refused
 * sign-in as the poller logs and /readyz shows it (issue 14).
 */
import { describe, expect, it } from 'vitest';
import { parseImapUrl, serverAnswer } from '../../src/inbound/imap-poller.js';

describe('IMAP sign-in with OAuth', () => {
  it('takes a URL with a user and no password, and refuses a password next to OAuth without repeating it', () => {
    expect(parseImapUrl('imaps://bot%40example.org@outlook.office365.com/INBOX', { oauth: true })).toMatchObject({ user: 'bot@example.org', password: '', host: 'outlook.office365.com', port: 993 });
    expect(() => parseImapUrl('imaps://bot%40example.org:hunter2@h/INBOX', { oauth: true })).toThrow('IMAP_URL is not usable: it carries a password, but OAuth signs in with a token: remove the password.');
    expect(() => parseImapUrl('imaps://bot%40example.org:hunter2@h/INBOX', { oauth: true })).not.toThrow(/hunter2/);
    expect(() => parseImapUrl('imaps://h/INBOX', { oauth: true })).toThrow('IMAP_URL is not usable: it needs the mailbox user name.');
    expect(() => parseImapUrl('imaps://bot%40example.org@h/INBOX')).toThrow('IMAP_URL is not usable: it needs a user name and a password.');
  });

  it('keeps the server\'s words of a refusal, with its response code once', () => {
    expect(serverAnswer({ serverResponseCode: 'AUTHENTICATIONFAILED', response: '2 NO [AUTHENTICATIONFAILED] Authentication failed.' })).toBe('[AUTHENTICATIONFAILED] Authentication failed.');
    expect(serverAnswer({ serverResponseCode: 'AUTHENTICATIONFAILED', response: 'Invalid credentials' })).toBe('[AUTHENTICATIONFAILED] Invalid credentials');
    expect(serverAnswer(new Error('Command failed'))).toBe('Command failed');
    expect(serverAnswer(null)).toBe('refused');
  });
});
