/**
 * Journey A step 2 and 3: a mail to enrol@ becomes a request awaiting the holder's
 * confirmation, or one reply listing every problem (and nothing stored but the intake
 * record). The challenge phrase is stored only as a slow hash and never repeated.
 */
import { parseEnrolment } from '../domain/enrolment-form.js';
import { PROFILES } from '../domain/certificate-profile.js';
import { isMailcaError } from '../domain/errors.js';
import { checkIssuanceInput, DEFAULT_KEY_TYPE } from '../domain/issuance-request.js';
import { CONFIRM_TTL_MS, PURPOSE, answer, enrolmentRef, notice, requestFacts, type EnrolmentDeps } from './enrolment-deps.js';
import type { ParsedAttachment, ParsedMessage } from './ports.js';
import type { AddressHandler } from './process-inbound.js';

const CSR_TYPES = new Set(['application/pkcs10', 'application/x-pkcs10', 'application/csr']);
const CSR_NAME = /\.(?:csr|req|p10|pem)$/i;
const CSR_PEM = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----[\s\S]+?-----END (?:NEW )?CERTIFICATE REQUEST-----/;

/** An attached PKCS#10 request, or one pasted into the body; several are a problem. */
function findCsr(message: ParsedMessage): { csr: Buffer | null; problem: string | null } {
  const attached = message.attachments.filter((a: ParsedAttachment) => CSR_TYPES.has(a.contentType.toLowerCase()) || (a.filename !== null && CSR_NAME.test(a.filename)));
  const pasted = CSR_PEM.exec(message.text);
  const found = [...attached.map((a) => a.content), ...(pasted ? [Buffer.from(pasted[0], 'utf8')] : [])];
  if (found.length > 1) return { csr: null, problem: 'The mail carries more than one certificate request (CSR). Attach exactly one, or none to have a key made for you.' };
  return { csr: found[0] ?? null, problem: null };
}

/** The PKCS#12 formats the pickup page offers, as the confirmation states them. */
export const PKCS12_FORMATS = ['modern: AES-256-CBC with PBKDF2-HMAC-SHA256 (current systems)', 'compat: 3DES (older Windows, macOS and iOS)'] as const;

export function createEnrolmentIntake(deps: EnrolmentDeps): AddressHandler {
  return {
    async handle({ inboundId, message, reply }) {
      // Step 1: read the form and the CSR; every problem at once
      const { csr, problem: csrProblem } = findCsr(message);
      const sender = message.from.length === 1 ? message.from[0]! : null;
      // the PEM of a pasted CSR is not a field line; the parser skips it
      const parsed = parseEnrolment({ text: message.text, from: sender, hasCsr: csr !== null });
      const problems = parsed.ok ? [] : [...parsed.problems];
      if (csrProblem) problems.push(csrProblem);
      let csrDer: Buffer | null = null;
      if (csr && !csrProblem) {
        try {
          deps.ca.readCsr(csr, PROFILES.client.minRsaBits);
          csrDer = csr;
        } catch (err) {
          if (!isMailcaError(err)) throw err;
          problems.push(`The attached certificate request (CSR) cannot be used: ${err.message}${err.hint ? ` ${err.hint}` : ''}`);
        }
      }
      // what issuance will check after approval is checked now, so an approved request cannot fail on it
      if (parsed.ok) {
        try {
          checkIssuanceInput({ profile: 'client', email: parsed.form.email, name: `${parsed.form.firstName} ${parsed.form.lastName}`, localAuthority: parsed.form.localAuthority, ...(parsed.form.key ? { key: parsed.form.key } : {}), hasCsr: csr !== null });
        } catch (err) {
          if (!isMailcaError(err)) throw err;
          problems.push(...(err.problems.length > 0 ? err.problems : [err.message]));
        }
      }
      if (!parsed.ok || problems.length > 0) {
        await deps.mail.send('enrolmentProblems', answer(reply), { problems });
        deps.log.info({ inboundId, problems: problems.length }, 'enrolment refused: problems listed to the sender');
        return;
      }
      const form = parsed.form;

      // Step 2: store the request (once per inbound message), the phrase only slow-hashed
      const id = enrolmentRef(inboundId);
      const keyType = csrDer ? null : (form.key ?? DEFAULT_KEY_TYPE);
      const e = await deps.enrolments.create(
        {
          id,
          inboundId,
          requestedBy: (sender ?? form.email).toLowerCase(),
          threadId: message.messageId,
          firstName: form.firstName,
          lastName: form.lastName,
          email: form.email,
          phone: form.phone,
          localAuthority: form.localAuthority,
          comments: form.comments,
          keyType,
          csrDer,
          phraseHash: await deps.hash.hash(form.challengePhrase),
        },
        { actor: `mail:${(sender ?? '').toLowerCase()}`, action: 'enrolment.received', subject: id, details: { inboundId, email: form.email, localAuthority: form.localAuthority, key: keyType ?? 'csr' } },
      );
      if (e.state !== 'awaiting-confirmation') return; // a retried job after the holder already answered

      // Step 3: ask the address in the request to confirm (single use, 24 hours)
      const expiresAt = new Date(deps.clock.now().getTime() + CONFIRM_TTL_MS);
      const token = await deps.tokens.issue({ purpose: PURPOSE.confirm, subject: e.id, recipient: e.email, ttlMs: CONFIRM_TTL_MS });
      const ctx = e.email === e.requestedBy ? answer(reply) : notice(e, e.email, 'confirm');
      await deps.mail.send(
        'enrolmentConfirm',
        ctx,
        { ...requestFacts(e), profileName: 'client (TLS client authentication)', pkcs12Formats: e.csrDer ? [] : PKCS12_FORMATS, expiresAt },
        token,
      );
      deps.log.info({ inboundId, enrolmentId: e.id }, 'enrolment stored; confirmation sent');
    },
  };
}
