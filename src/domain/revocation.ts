import { MailcaError } from './errors.js';

/**
 * CRL reason codes (RFC 5280 5.3.1) that mailca records. `unspecified` is never used
 * (S/MIME BR 7.2.2: the reasonCode must not be unspecified; absent means unspecified).
 */
export const REVOCATION_REASONS = {
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

/**
 * Reasons a subscriber may give (S/MIME BR 4.9.1.1 and 7.2.2; `unspecified` is never
 * written). privilegeWithdrawn is the CA's to give, not the holder's.
 */
export const SUBSCRIBER_REASONS: readonly { readonly reason: RevocationReason; readonly label: string }[] = [
  { reason: 'keyCompromise', label: 'My private key or its password may be known to someone else' },
  { reason: 'affiliationChanged', label: 'My name or my role at the organisation changed, or I left' },
  { reason: 'superseded', label: 'I have a newer certificate that replaces this one' },
  { reason: 'cessationOfOperation', label: 'I no longer use this mail address or need the certificate' },
];

export function parseRevocationReason(text: string): RevocationReason {
  const found = (Object.keys(REVOCATION_REASONS) as RevocationReason[]).find((r) => r.toLowerCase() === text.trim().toLowerCase());
  if (!found) {
    throw new MailcaError({
      code: 'REVOCATION.BAD_REASON',
      message: `Revocation reason "${text}" is not one mailca records.`,
      hint: `Use one of: ${Object.keys(REVOCATION_REASONS).join(', ')}.`,
    });
  }
  return found;
}

/** Serials are positive, at least 64 random bits (S/MIME BR 7.1), kept as lowercase hex. */
export function normaliseSerial(text: string): string {
  const hex = text.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (!/^[0-9a-f]{1,40}$/.test(hex)) {
    throw new MailcaError({
      code: 'CERTIFICATE.BAD_SERIAL',
      message: `"${text}" is not a certificate serial number.`,
      hint: 'Give the serial in hexadecimal as `mailca ca issue` printed it (colons allowed).',
    });
  }
  return hex.replace(/^0+(?=.)/, '');
}

/**
 * Serial from 16 random bytes: top bit cleared so the DER INTEGER is positive, and the
 * first byte kept non-zero so the encoding stays minimal and the length fixed (127 bits
 * of randomness remain, against the 64 the BR ask for).
 */
export function serialFromRandom(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 16) throw new Error('serialFromRandom needs 16 random bytes');
  const out = Uint8Array.from(bytes.subarray(0, 16));
  out[0] = (out[0]! & 0x7f) || 0x01;
  return out;
}
