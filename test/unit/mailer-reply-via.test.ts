/**
 * Reply-To of journey B's mails (issue 12, "Forms come home whatever the address"): a mail
 * that invites a workbook back names smime@ (ReplyContext.replyVia); one with a reply
 * token names reply+<token>; any other names none, so Reply goes to From (help@).
 */
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { createKeyVault } from '../../src/ca/key-vault.js';
import { createOrderMailer } from '../../src/outbound/mailer.js';
import { journeyBTemplates } from '../../src/templates/index.js';
import type { OutboundMessage, ReplyContext } from '../../src/workflow/ports.js';

function setup() {
  const rows = new Map<string, Pick<OutboundMessage, 'id' | 'sealedRaw'>>();
  const vault = createKeyVault(randomBytes(32));
  const mailer = createOrderMailer(
    {
      store: {
        save: async (m) => (rows.set(m.id, m), true),
        load: async () => null,
        markSent: async () => {},
        markAttempt: async () => {},
        markBounced: async () => false,
        list: async () => [],
      },
      jobs: { enqueue: async () => {} },
      vault,
      clock: { now: () => new Date('2026-12-05T10:00:00Z') },
      templates: {} as never,
      mailDomain: 'CA.Example.org',
      publicUrl: 'https://ca.example.org',
    },
    journeyBTemplates,
  );
  const open = async (id: string) => simpleParser(vault.open(rows.get(id)!.sealedRaw, `outbound:${id}`));
  return { mailer, open };
}

const ctx = (key: string, o: Partial<ReplyContext> = {}): ReplyContext => ({ to: 'clerk@school.example', inReplyTo: '<q@school.example>', references: ['<q@school.example>'], subject: null, key, ...o });
const form = { organisations: ['Hillside'], maxRows: 500, attachments: [] };

describe('Reply-To of order mails', () => {
  it('replyVia smime: Reply-To smime@<mail domain>, From stays help@', async () => {
    const s = setup();
    const m = await s.open(await s.mailer.send('orderForm', ctx('a', { replyVia: 'smime' }), form));
    expect(m.replyTo?.value.map((v) => v.address)).toEqual(['smime@ca.example.org']);
    expect(m.from?.value[0]?.address).toBe('help@ca.example.org');
  });

  it('a reply token wins over replyVia', async () => {
    const s = setup();
    const m = await s.open(await s.mailer.send('orderRefused', ctx('b', { replyVia: 'smime' }), { reason: 'x' }, 'tok_123'));
    expect(m.replyTo?.value.map((v) => v.address)).toEqual(['reply+tok_123@ca.example.org']);
  });

  it('neither: no Reply-To', async () => {
    const s = setup();
    const m = await s.open(await s.mailer.send('orderForm', ctx('c'), form));
    expect(m.replyTo).toBeUndefined();
  });
});
