import { createHash } from 'node:crypto';
import { base32Lower } from './base32.js';

/**
 * The request reference people see ("R-7KQ3M2TXAB"): derived from the inbound message, so
 * an intake job that runs twice names the same request; 50 bits, uppercase base32
 * (RFC 4648 alphabet: no 0/1/8/9 to mistake for O/I/B/g).
 */
export function enrolmentRef(inboundId: string): string {
  return derivedRef('R', 'enrolment', inboundId);
}

/** The same kind of reference for other things made from one inbound message (`O-` orders, `K-` key recoveries). */
export function derivedRef(prefix: string, label: string, inboundId: string): string {
  return `${prefix}-${base32Lower(createHash('sha256').update(`${label}\0${inboundId}`).digest()).slice(0, 10).toUpperCase()}`;
}

export const ENROLMENT_REF_PATTERN = /^R-[A-Z2-7]{10}$/;
