/**
 * Whether a failed hand-over to the relay is worth retrying (the send worker turns a
 * permanent error into BullMQ's UnrecoverableError and shows the mail to the operator).
 *
 * RFC 5321 4.2.1: a 5yz reply is a permanent negative completion — the same message sent
 * again gets the same answer — and a 4yz reply is transient. Two refinements, as
 * nodemailer and EmailEngine make them:
 * - 503 (bad sequence of commands) is about the session, not the message: transient.
 * - A 5yz reply before the transaction (greeting, EHLO, STARTTLS, AUTH) says the relay
 *   will not serve *us* — wrong credentials or a relay misconfigured — not that it refuses
 *   this message. The operator fixes that, and every mail waiting meanwhile must still go
 *   out afterwards: transient too, with a hint pointing at OUTBOUND_SMTP_URL.
 * Errors without a reply (connection refused, timeouts, TLS) are transient; an envelope
 * the client itself rejects (a recipient that is not an address) is permanent.
 */
import { MailcaError } from '../domain/errors.js';

interface SmtpErrorLike {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  message?: unknown;
}

/** SMTP commands of the mail transaction itself (RFC 5321 3.3). */
const TRANSACTION = /^(MAIL FROM|RCPT TO|DATA|BDAT)/i;

export function classifySendError(err: unknown): MailcaError {
  if (err instanceof MailcaError) return err;
  const e: SmtpErrorLike = typeof err === 'object' && err !== null ? (err as SmtpErrorLike) : {};
  const code = typeof e.code === 'string' ? e.code : undefined;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command = typeof e.command === 'string' ? e.command : '';
  const response = typeof e.response === 'string' ? e.response.trim() : undefined;
  const detail = response ?? (typeof e.message === 'string' ? e.message : String(err));

  const rejectedInTransaction = reply !== undefined && reply >= 500 && reply <= 599 && reply !== 503 && (TRANSACTION.test(command) || code === 'EENVELOPE' || code === 'EMESSAGE');
  // nodemailer checks the envelope before it talks to the relay ("Invalid recipient …").
  const refusedByClient = reply === undefined && code === 'EENVELOPE';
  const tooLarge = reply === undefined && code === 'EMESSAGE' && /larger than allowed/i.test(detail);

  if (rejectedInTransaction || refusedByClient || tooLarge) {
    return new MailcaError({
      code: 'OUTBOUND.REJECTED',
      message: `The mail relay refused the message for good: ${detail}`,
      hint: 'Retrying will not help: check the recipient address; the operator sees the mail as failed.',
      permanent: true,
      cause: err,
    });
  }
  const auth = code === 'EAUTH' || code === 'ENOAUTH';
  return new MailcaError({
    code: 'OUTBOUND.UNAVAILABLE',
    message: `The mail relay did not take the message this time: ${detail}`,
    hint: auth ? 'The relay refused the login: check the user and password in OUTBOUND_SMTP_URL.' : 'The message stays queued and is retried with backoff.',
    permanent: false,
    cause: err,
  });
}
