/**
 * What a template produces. The same shape as `RenderedMail` in src/workflow/ports.ts,
 * declared here so that templates stay pure (they import nothing but domain).
 */
export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Files sent with the mail (e.g. an order form); content is never logged. */
  readonly attachments?: readonly { readonly filename: string; readonly contentType: string; readonly content: Buffer }[];
}
