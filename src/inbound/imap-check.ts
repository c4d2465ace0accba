/**
 * `mailca check mail`, the IMAP half: signs in to the configured mailbox once, with the
 * configured authentication (a password, or an OAuth token: SASL OAUTHBEARER or XOAUTH2),
 * and says what worked: the server's greeting, its capabilities, the authentication
 * method, and the mailbox with its message count (STATUS, RFC 3501 6.3.10, which opens
 * nothing and changes nothing). A failure carries the server's answer or the token
 * endpoint's error, never the password or token.
 */
import { ImapFlow } from 'imapflow';
import type { AccessTokenSource } from '../workflow/ports/access-token.js';
import { parseImapUrl, serverAnswer } from './imap-poller.js';

/** What one mail service check found: lines to print, and the failure if any. */
export interface MailServiceCheck {
  readonly lines: readonly string[];
  /** Null when everything worked; else what failed, with the server's answer. */
  readonly failure: string | null;
}

export interface ImapCheckOptions {
  readonly url: string;
  readonly accessToken?: AccessTokenSource;
  /** Milliseconds for the connection and the greeting (default 15 s). */
  readonly timeoutMs?: number;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function checkImapMailbox(opts: ImapCheckOptions): Promise<MailServiceCheck> {
  const lines: string[] = [];
  let target;
  try {
    target = parseImapUrl(opts.url, { oauth: opts.accessToken !== undefined });
  } catch (err) {
    return { lines, failure: err instanceof Error ? err.message : String(err) };
  }
  lines.push(`IMAP server: ${target.secure ? 'imaps' : 'imap'}://${target.host}:${target.port}, user ${target.user}`);
  let accessToken: string | undefined;
  if (opts.accessToken) {
    try {
      accessToken = await opts.accessToken.token();
      lines.push('IMAP OAuth: got an access token from the token endpoint');
    } catch (err) {
      return { lines, failure: `IMAP: no OAuth access token: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  const timeout = opts.timeoutMs ?? 15_000;
  const client = new ImapFlow({
    host: target.host,
    port: target.port,
    secure: target.secure,
    // as the poller: STARTTLS required except on a loopback test server
    ...(target.secure ? {} : { doSTARTTLS: isLoopback(target.host) ? undefined : true }),
    auth: accessToken === undefined ? { user: target.user, pass: target.password } : { user: target.user, accessToken },
    clientInfo: { name: 'mailca' },
    logger: false,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: 2 * timeout,
  });
  client.on('error', () => undefined); // a late socket error after a failed step; reported below
  try {
    await client.connect();
  } catch (err) {
    const greeting = (client as unknown as { greeting?: string }).greeting;
    if (greeting) lines.push(`IMAP greeting: ${greeting}`);
    client.close();
    return { lines, failure: `IMAP sign-in to ${target.host}:${target.port} as ${target.user} failed: ${serverAnswer(err)}` };
  }
  try {
    const greeting = (client as unknown as { greeting?: string }).greeting;
    lines.push(`IMAP greeting: ${greeting ?? '(none)'}`);
    lines.push(`IMAP capabilities: ${[...client.capabilities.keys()].join(' ')}`);
    const method = [...(client as unknown as { authCapabilities: Map<string, boolean> }).authCapabilities].find(([, used]) => used)?.[0] ?? 'unknown';
    lines.push(`IMAP signed in as ${target.user} with ${method.replace(/^AUTH=/, '')}`);
    const status = await client.status(target.mailbox, { messages: true });
    const count = status === false ? undefined : status.messages;
    lines.push(`IMAP mailbox ${target.mailbox}: ${count ?? '?'} message${count === 1 ? '' : 's'}`);
    await client.logout();
    return { lines, failure: null };
  } catch (err) {
    client.close();
    return { lines, failure: `IMAP: the mailbox ${target.mailbox} could not be read: ${serverAnswer(err)}` };
  }
}
