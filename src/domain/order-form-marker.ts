/**
 * The hidden, signed form-version marker of an order form (journey B step 1): it says
 * which organisation the form was made for and that this mailca made it. An upload
 * without a valid marker is not one of our forms; one for another organisation than the
 * sender's is refused. HMAC-SHA256 under a key derived from the master key, truncated to
 * 128 bits.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const ORDER_FORM_VERSION = 1;
const HKDF_INFO = new TextEncoder().encode('mailca order form marker v1');

export function deriveFormSecret(masterKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, new Uint8Array(0), HKDF_INFO, 32));
}

const mac = (secret: Uint8Array, body: string): string => createHmac('sha256', secret).update(body).digest().subarray(0, 16).toString('base64url');

export function signFormMarker(secret: Uint8Array, orgId: string): string {
  const body = `mailca-order-form.v${ORDER_FORM_VERSION}.${orgId}`;
  return `${body}.${mac(secret, body)}`;
}

/** The organisation id a marker was made for, or null when it is not a valid marker of ours. */
export function verifyFormMarker(secret: Uint8Array, marker: string | null): string | null {
  const m = /^(mailca-order-form\.v(\d+)\.([a-z0-9][a-z0-9-]{0,62}))\.([A-Za-z0-9_-]{22})$/.exec(marker?.trim() ?? '');
  if (!m || Number(m[2]) !== ORDER_FORM_VERSION) return null;
  const want = Buffer.from(mac(secret, m[1]!));
  const got = Buffer.from(m[4]!);
  return want.length === got.length && timingSafeEqual(want, got) ? m[3]! : null;
}
