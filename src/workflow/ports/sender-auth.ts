/**
 * Where the sender authentication of each reply is kept (issue 12): the DKIM, SPF and
 * DMARC results and the aligned domain, by the inbound message that carried the reply and
 * by what it was about (a request or order id), so an operator can see with each decision
 * how its sender was authenticated (`mailca show <ref>`). Results and domain names only.
 */
import type { SenderAuthRecord } from '../../domain/sender-auth.js';

export interface SenderAuthEntry extends SenderAuthRecord {
  readonly inboundId: string;
  /** The reply token's purpose and subject (e.g. `enrolment-approve`, `R-…`). */
  readonly purpose: string;
  readonly subject: string;
  readonly sender: string;
  readonly at: Date;
}

export interface SenderAuthLog {
  /** Keeps the entry; a job that runs again for the same message replaces its entry. */
  record(entry: SenderAuthEntry): Promise<void>;
  /** Every entry about `subject`, oldest first. */
  forSubject(subject: string): Promise<SenderAuthEntry[]>;
}
