import type { CertificateRecord } from './ports.js';

/** The status people and relying systems see (journey A step 6): past notAfter reads expired everywhere. */
export function certificateStatus(c: Pick<CertificateRecord, 'status' | 'notAfter' | 'activatedAt'>, now: Date): 'issued' | 'active' | 'revoked' | 'expired' {
  if (c.status === 'revoked') return 'revoked';
  if (c.notAfter && c.notAfter.getTime() <= now.getTime()) return 'expired';
  return c.activatedAt ? 'active' : 'issued';
}
