/**
 * The client fixtures of test/fixtures/clients (issue 12): replies in each mail client's
 * real shape, each with the command it must yield (index.json), and their placeholders
 * filled for one test's addresses.
 */
import { readFileSync } from 'node:fs';

export interface ClientFixture {
  readonly file: string;
  readonly client: string;
  /** The bot mail replied to: the holder's confirmation mail or an administrator's approval request. */
  readonly answers: 'confirmation' | 'approval';
  /** The command text it must yield; a REJECT with its whole reason. */
  readonly command: string;
}

const dir = new URL('../fixtures/clients/', import.meta.url);

export const CLIENT_FIXTURES: readonly ClientFixture[] = (JSON.parse(readFileSync(new URL('index.json', dir), 'utf8')) as { fixtures: ClientFixture[] }).fixtures;

export interface FixtureAddresses {
  readonly from: string;
  /** The reply+ address the reply goes to. */
  readonly to: string;
  readonly subject: string;
  readonly messageId: string;
  readonly inReplyTo: string;
}

/**
 * The raw fixture with its placeholders filled. Fixtures are ASCII (quoted-printable,
 * base64) or 8bit UTF-8 (Thunderbird), so the text read as UTF-8 is the message's bytes
 * when written back as UTF-8, as SMTP clients do.
 */
export function fillFixture(file: string, a: FixtureAddresses): string {
  return readFileSync(new URL(file, dir), 'utf8')
    .replaceAll('{{FROM}}', a.from)
    .replaceAll('{{TO}}', a.to)
    .replaceAll('{{SUBJECT}}', a.subject)
    .replaceAll('{{MESSAGE_ID}}', a.messageId)
    .replaceAll('{{IN_REPLY_TO}}', a.inReplyTo);
}
