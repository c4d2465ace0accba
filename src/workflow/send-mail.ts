/**
 * The send job: hands one queued outbound mail to the transport. A mail already sent is
 * not sent again (the job may run twice); each failure is recorded, and after the last
 * attempt, or a permanent refusal (5xx), the mail is marked failed so that the operator
 * sees it (state `failed` with the error in `outbound_messages`, and a log line).
 */
import type { Logger } from 'pino';
import { isMailcaError, MailcaError } from '../domain/errors.js';
import type { Clock, KeyVault, MailTransport, OutboundStore } from './ports.js';

export function createSender(deps: { store: OutboundStore; vault: KeyVault; transport: MailTransport; clock: Clock; log: Logger }) {
  return {
    async send(outboundId: string, ctx: { final: boolean }): Promise<'sent' | 'already-sent'> {
      const msg = await deps.store.load(outboundId);
      if (!msg) throw new MailcaError({ code: 'OUTBOUND.UNKNOWN', message: `Outbound mail ${outboundId} is not stored.`, hint: 'Nothing to send; the job is dropped.' });
      if (msg.state === 'sent') return 'already-sent';
      const raw = deps.vault.open(msg.sealedRaw, `outbound:${outboundId}`);
      try {
        const r = await deps.transport.send({ id: outboundId, envelopeFrom: msg.envelopeFrom, to: msg.to, raw });
        await deps.store.markSent(outboundId, deps.clock.now());
        deps.log.info({ outboundId, kind: msg.kind, transport: deps.transport.kind, response: r.response }, 'mail sent');
        return 'sent';
      } catch (err) {
        const permanent = isMailcaError(err) && err.permanent;
        const final = ctx.final || permanent;
        await deps.store.markAttempt(outboundId, err instanceof Error ? err.message : String(err), final);
        deps.log.warn({ outboundId, kind: msg.kind, final, err: { message: err instanceof Error ? err.message : String(err) } }, final ? 'mail finally failed' : 'mail not sent; will retry');
        throw err;
      }
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
