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

/** The raw fixture (latin1, byte for byte) with its placeholders filled. */
export function fillFixture(file: string, a: FixtureAddresses): string {
  return readFileSync(new URL(file, dir), 'latin1')
    .replaceAll('{{FROM}}', a.from)
    .replaceAll('{{TO}}', a.to)
    .replaceAll('{{SUBJECT}}', a.subject)
    .replaceAll('{{MESSAGE_ID}}', a.messageId)
    .replaceAll('{{IN_REPLY_TO}}', a.inReplyTo);
}
