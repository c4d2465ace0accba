import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveFormSecret, signFormMarker, verifyFormMarker } from '../../src/domain/order-form-marker.js';

describe('order form marker', () => {
  const secret = deriveFormSecret(randomBytes(32));
  it('names the organisation it was signed for', () => {
    expect(verifyFormMarker(secret, signFormMarker(secret, 'oakfield-primary'))).toBe('oakfield-primary');
  });
  it.each([
    ['another key', () => signFormMarker(deriveFormSecret(randomBytes(32)), 'oakfield-primary')],
    ['another organisation', () => signFormMarker(secret, 'oakfield-primary').replace('oakfield-primary', 'elm-secondary')],
    ['a later version', () => signFormMarker(secret, 'x').replace('.v1.', '.v2.')],
    ['nothing', () => ''],
    ['garbage', () => 'mailca-order-form.v1.x.short'],
  ])('refuses %s', (_l, make) => expect(verifyFormMarker(secret, make())).toBeNull());
  it('refuses null', () => expect(verifyFormMarker(secret, null)).toBeNull());
});
