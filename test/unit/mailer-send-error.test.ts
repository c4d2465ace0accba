import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { classifySendError } from '../../src/outbound/send-error.js';
import { parseSmtpUrl, redactSmtpUrl } from '../../src/outbound/transport-smtp.js';

/** An error shaped like nodemailer's (code, response, responseCode, command). */
function smtpErr(code: string, command: string, response?: string): Error {
  const e = new Error(`failed${response ? `: ${response}` : ''}`) as Error & Record<string, unknown>;
  e.code = code;
  e.command = command;
  if (response) {
    e.response = response;
    e.responseCode = Number(response.slice(0, 3));
  }
  return e;
}

describe('classifySendError', () => {
  it.each([
    // the relay refuses this message: permanent (RFC 5321 4.2.1, 5yz)
    ['550 at RCPT TO', smtpErr('EENVELOPE', 'RCPT TO', '550 5.1.1 No such user'), true],
    ['553 at MAIL FROM', smtpErr('EENVELOPE', 'MAIL FROM', '553 5.7.1 Sender rejected'), true],
    ['554 after DATA', smtpErr('EMESSAGE', 'DATA', '554 5.7.1 Message rejected as spam'), true],
    ['552 size after DATA', smtpErr('EMESSAGE', 'DATA', '552 5.3.4 Message too big'), true],
    ['nodemailer refuses the recipient itself', smtpErr('EENVELOPE', 'API'), true],
    ['message larger than SIZE', Object.assign(smtpErr('EMESSAGE', 'MAIL FROM'), { message: 'Message size larger than allowed 1000' }), true],
    // try again later
    ['450 at RCPT TO', smtpErr('EENVELOPE', 'RCPT TO', '450 4.2.1 Mailbox busy'), false],
    ['451 after DATA', smtpErr('EMESSAGE', 'DATA', '451 4.3.0 Try later'), false],
    ['421 at greeting', smtpErr('EPROTOCOL', 'CONN', '421 Service not available'), false],
    ['503 bad sequence', smtpErr('EENVELOPE', 'RCPT TO', '503 5.5.1 Bad sequence of commands'), false],
    // the relay will not serve us (configuration), not a verdict on the message
    ['554 at greeting', smtpErr('EPROTOCOL', 'CONN', '554 No SMTP service here'), false],
    ['535 at AUTH', smtpErr('EAUTH', 'AUTH PLAIN', '535 5.7.8 Authentication credentials invalid'), false],
    ['connection refused', Object.assign(smtpErr('ESOCKET', 'CONN'), { message: 'connect ECONNREFUSED 127.0.0.1:1' }), false],
    ['timeout', smtpErr('ETIMEDOUT', 'CONN'), false],
    ['not an error object', 'boom', false],
  ])('%s → permanent %s', (_label, err, permanent) => {
    const e = classifySendError(err);
    expect(e).toBeInstanceOf(MailcaError);
    expect(e.permanent).toBe(permanent);
    expect(e.code).toBe(permanent ? 'OUTBOUND.REJECTED' : 'OUTBOUND.UNAVAILABLE');
    if (err instanceof Error) expect(e.cause).toBe(err);
  });

  it('keeps the relay\'s answer in the message', () => {
    expect(classifySendError(smtpErr('EENVELOPE', 'RCPT TO', '550 5.1.1 No such user')).message).toContain('550 5.1.1 No such user');
  });

  it('points at the URL for a failed login', () => {
    expect(classifySendError(smtpErr('EAUTH', 'AUTH PLAIN', '535 nope')).hint).toContain('OUTBOUND_SMTP_URL');
  });

  it('passes a MailcaError through', () => {
    const m = new MailcaError({ code: 'X.Y', message: 'x', permanent: false });
    expect(classifySendError(m)).toBe(m);
  });
});

describe('OUTBOUND_SMTP_URL', () => {
  it.each([
    ['smtp://relay.example.org', { secure: false, host: 'relay.example.org', port: 587 }],
    ['smtps://relay.example.org', { secure: true, host: 'relay.example.org', port: 465 }],
    ['smtp://u%40x:p%3Aw%2Fd@relay:2525', { secure: false, host: 'relay', port: 2525, auth: { user: 'u@x', pass: 'p:w/d' } }],
    ['smtp://[::1]:25', { secure: false, host: '::1', port: 25 }],
  ])('parses %s', (url, expected) => {
    expect(parseSmtpUrl(url)).toEqual(expected);
  });

  it.each(['http://relay', 'relay:25', 'smtp://'])('refuses %s', (url) => {
    expect(() => parseSmtpUrl(url)).toThrow(MailcaError);
  });

  it('redacts the password for logs', () => {
    const r = redactSmtpUrl('smtp://bot:s3cret-pw@relay.example.org:587');
    expect(r).not.toContain('s3cret-pw');
    expect(r).toContain('bot');
    expect(r).toContain('relay.example.org:587');
    expect(redactSmtpUrl('not a url s3cret')).not.toContain('s3cret');
  });
});
