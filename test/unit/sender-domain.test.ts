/**
 * The test sender domain's DKIM signatures verify even when the clock turns while a
 * message is signed: the signer once hashed one t= value and wrote another, and a reply
 * signed that way failed DMARC and was refused (a flaky lost APPROVE in full CI runs).
 */
import { authenticate } from 'mailauth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSenderDomain, plainMessage } from '../helpers/sender-domain.js';

const people = createSenderDomain('council.test');

async function dkimResult(raw: string): Promise<string> {
  const r = await authenticate(Buffer.from(raw), { ip: '127.0.0.1', helo: 'mx.council.test', sender: 'head@council.test', mta: 'bot.test', resolver: people.resolver });
  return r.dkim.results[0]?.status.result ?? 'none';
}

describe('test sender domain signatures', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('verify when every read of the clock is a second later than the one before', async () => {
    // each read lands in the next second: a signer that reads the clock twice writes a t=
    // that differs from the one it signed
    let t = Date.UTC(2026, 11, 6, 9, 0, 0);
    vi.spyOn(Date, 'now').mockImplementation(() => (t += 1_000));
    const raw = await people.sign(plainMessage({ from: 'head@council.test', to: 'reply+abc@bot.test', subject: 'Re: order', body: 'APPROVE ALL', domain: 'council.test' }));
    vi.restoreAllMocks();
    expect(await dkimResult(raw)).toBe('pass');
  });

  it('fail when the signed message is changed (the check can fail)', async () => {
    const raw = await people.sign(plainMessage({ from: 'head@council.test', to: 'reply+abc@bot.test', subject: 'Re: order', body: 'APPROVE ALL', domain: 'council.test' }));
    expect(await dkimResult(raw)).toBe('pass');
    expect(await dkimResult(raw.replace('APPROVE ALL', 'REJECT ALL'))).not.toBe('pass');
  });
});
