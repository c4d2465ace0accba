/**
 * The send job: hands one queued outbound mail to the transport. A mail already sent is
 * not sent again (the job may run twice); each failure is recorded, and after the last
 * attempt, or a permanent refusal (5xx), the mail is marked failed so that the operator
 * sees it (state `failed` with the error in `outbound_messages`, and a log line).
 *
 * Once the relay has taken the mail, recording that is retried here for a while (the
 * database may be restarting): failing the job instead would send the mail again on the
 * retry. Only if the database stays away longer does the job fail, and the retry may
 * then deliver the one second copy no SMTP sender can rule out (RFC 1047).
 */
import type { Logger } from 'pino';
import { isMailcaError, MailcaError } from '../domain/errors.js';
import type { Clock, KeyVault, MailTransport, OutboundStore } from './ports.js';
import type { Metrics } from './ports/metrics.js';

/** Waits between tries to record a sent mail: about 30 s in all. */
export const RECORD_SENT_DELAYS_MS: readonly number[] = [200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000, 5_000];

export function createSender(deps: { store: OutboundStore; vault: KeyVault; transport: MailTransport; clock: Clock; log: Logger; sleep?: (ms: number) => Promise<void>; recordDelaysMs?: readonly number[]; metrics?: Metrics }) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const delays = deps.recordDelaysMs ?? RECORD_SENT_DELAYS_MS;

  async function recordSent(outboundId: string): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await deps.store.markSent(outboundId, deps.clock.now());
        return;
      } catch (err) {
        if ((isMailcaError(err) && err.permanent) || i >= delays.length) throw err;
        deps.log.warn({ outboundId, err: { message: err instanceof Error ? err.message : String(err) } }, 'mail sent but not yet recorded; trying again');
        await sleep(delays[i]!);
      }
    }
  }

  return {
    async send(outboundId: string, ctx: { final: boolean }): Promise<'sent' | 'already-sent'> {
      const msg = await deps.store.load(outboundId);
      if (!msg) throw new MailcaError({ code: 'OUTBOUND.UNKNOWN', message: `Outbound mail ${outboundId} is not stored.`, hint: 'Nothing to send; the job is dropped.' });
      if (msg.state === 'sent') return 'already-sent';
      const raw = deps.vault.open(msg.sealedRaw, `outbound:${outboundId}`);
      let response: string;
      try {
        response = (await deps.transport.send({ id: outboundId, envelopeFrom: msg.envelopeFrom, to: msg.to, raw })).response;
      } catch (err) {
        const permanent = isMailcaError(err) && err.permanent;
        const final = ctx.final || permanent;
        await deps.store.markAttempt(outboundId, err instanceof Error ? err.message : String(err), final);
        deps.log.warn({ outboundId, kind: msg.kind, final, err: { message: err instanceof Error ? err.message : String(err) } }, final ? 'mail finally failed' : 'mail not sent; will retry');
        deps.metrics?.mailSent({ outcome: final ? 'failed' : 'retried' });
        throw err;
      }
      await recordSent(outboundId);
      deps.metrics?.mailSent({ outcome: 'sent' });
      deps.log.info({ outboundId, kind: msg.kind, transport: deps.transport.kind, response }, 'mail sent');
      return 'sent';
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
