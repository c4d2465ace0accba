import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientKey } from '../../src/domain/client-address.js';
import { clientAddressOf } from '../../src/http/rate-limit.js';

describe('clientKey: what a per-client limit counts under', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:a:b:c:d', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['not an address', 'not an address'],
    ['1::2::3', '1::2::3'],
  ])('%s → %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it('gives two hosts of one /64 one key and neighbouring /64s two', () => {
    expect(clientKey('2001:db8:aa:bb::1')).toBe(clientKey('2001:db8:aa:bb:ffff::9'));
    expect(clientKey('2001:db8:aa:bb::1')).not.toBe(clientKey('2001:db8:aa:bc::1'));
  });
});

const request = (remoteAddress: string, forwardedFor?: string): IncomingMessage =>
  ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('clientAddressOf: who the client is', () => {
  it('is the socket peer, whatever X-Forwarded-For says, when no proxy is trusted', () => {
    const of = clientAddressOf([]);
    expect(of(request('198.51.100.4', '203.0.113.9'))).toBe('198.51.100.4');
    expect(of(request('::ffff:198.51.100.4'))).toBe('198.51.100.4');
  });

  it('takes the rightmost untrusted address of X-Forwarded-For from a trusted proxy', () => {
    const of = clientAddressOf(['127.0.0.1', '10.0.0.0/8']);
    // the client wrote "1.2.3.4" itself; the proxies appended what they saw
    expect(of(request('127.0.0.1', '1.2.3.4, 203.0.113.9, 10.1.2.3'))).toBe('203.0.113.9');
    expect(of(request('::ffff:10.9.9.9', '203.0.113.9'))).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', () => {
    expect(clientAddressOf(['10.0.0.0/8'])(request('198.51.100.4', '203.0.113.9'))).toBe('198.51.100.4');
  });

  it('stops at an entry that is not an address, and keeps the proxy when the header is missing', () => {
    const of = clientAddressOf(['127.0.0.1']);
    expect(of(request('127.0.0.1', 'unknown'))).toBe('127.0.0.1');
    expect(of(request('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('trusts IPv6 ranges', () => {
    expect(clientAddressOf(['fd00::/8'])(request('fd12::5', '2001:db8::7'))).toBe('2001:db8::7');
  });
});
