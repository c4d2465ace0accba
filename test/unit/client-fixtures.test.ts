/**
 * Every client fixture (test/fixtures/clients/index.json) read as intake reads it: the
 * raw message through createMessageParser, then the command text and the command. The
 * integration test (test/integration/client-fixtures.test.ts) runs them through SMTP.
 */
import { describe, expect, it } from 'vitest';
import { commandText, parseCommand } from '../../src/domain/reply-command.js';
import { createMessageParser } from '../../src/inbound/message-parser.js';
import { CLIENT_FIXTURES, fillFixture } from '../helpers/client-fixtures.js';

const parser = createMessageParser();
const fill = (file: string): Buffer =>
  Buffer.from(fillFixture(file, { from: 'admin.one@council.test', to: 'reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@bot.test', subject: 'Approval needed [R-ABCDEFGHJK]', messageId: '<reply-1@council.test>', inReplyTo: '<bot-1@bot.test>' }), 'utf8');

describe('client fixtures yield their command', () => {
  it('the index names every fixture that is not S/MIME, each once', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(new URL('../fixtures/clients/', import.meta.url)).filter((f) => f.endsWith('.eml') && !f.startsWith('smime-'));
    expect(CLIENT_FIXTURES.map((f) => f.file).sort()).toEqual(files.sort());
  });

  it.each(CLIENT_FIXTURES.map((f) => [f.file, f] as const))('%s', async (_file, fixture) => {
    const message = await parser.parse(fill(fixture.file));
    expect(message.from).toEqual(['admin.one@council.test']);
    expect(message.inReplyTo).toBe('<bot-1@bot.test>');
    const text = commandText(message.text);
    expect(text).toBe(fixture.command);
    const command = parseCommand(text!);
    expect(command.verb).toBe(fixture.command.split(' ')[0]!.toUpperCase());
    if (command.verb === 'REJECT') {
      expect(command.args.reason).toBe(fixture.command.slice('REJECT '.length));
      expect(command.args.reasonCut).toBeUndefined();
    }
  });

  it('an HTML-only reply is not wrapped at a fixed width (mailparser\'s own conversion cut the reason at 80 columns)', async () => {
    const message = await parser.parse(fill('outlook-html-only.eml'));
    const line = message.text.split('\n').find((l) => l.startsWith('REJECT'));
    expect(line).toBe(CLIENT_FIXTURES.find((f) => f.file === 'outlook-html-only.eml')!.command);
    // Outlook's reply header ends the reply: the message answered is below the separator.
    expect(message.text.indexOf('________________________________')).toBeLessThan(message.text.indexOf('From: mailca'));
  });
});
