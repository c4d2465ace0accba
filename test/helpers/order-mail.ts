/**
 * Journey B by mail, as a requester's mail client and Excel would do it: a message with the
 * filled-in order form attached, and the form the bot sent filled in by code.
 */
import ExcelJS from 'exceljs';
import { expect } from 'vitest';
import { PEOPLE } from './journey-a-harness.js';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A message with one attachment, as a mail client sends it. */
/** A plain-text mail with one attachment (a workbook unless `contentType` says otherwise), as a mail client sends it. */
export function withAttachment(o: { from: string; to: string; subject: string; body: string; file: Buffer; filename: string; inReplyTo?: string; messageId?: string; contentType?: string }): string {
  const b = `b-${Math.random().toString(36).slice(2)}`;
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Message-ID: ${o.messageId ?? `<${Math.random().toString(36).slice(2)}@${PEOPLE}>`}`,
    `Date: ${new Date().toUTCString()}`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body,
    `--${b}`,
    `Content-Type: ${o.contentType ?? XLSX}; name="${o.filename}"`,
    `Content-Disposition: attachment; filename="${o.filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    o.file.toString('base64').replace(/(.{76})/g, '$1\r\n'),
    `--${b}--`,
    '',
  ].join('\r\n');
}

/** Fills the form the bot sent: order fields and one row per person, as a requester would in Excel. */
export async function fill(form: Buffer, rows: string[][], order = { type: 'mailbox', duration: '3 years' }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(form as unknown as ArrayBuffer);
  const sheet = wb.getWorksheet('Order')!;
  // the labels tell where the order fields are; the header row where the people go
  const labelRow = (label: RegExp): number => {
    for (let r = 1; r <= 20; r++) if (label.test(String(sheet.getCell(r, 1).value ?? ''))) return r;
    throw new Error(`no ${label} label in the form`);
  };
  sheet.getCell(labelRow(/S\/MIME type/i), 2).value = order.type;
  sheet.getCell(labelRow(/Duration/i), 2).value = order.duration;
  let header = 0;
  for (let r = 1; r <= 30 && header === 0; r++) if (String(sheet.getCell(r, 3).value ?? '') === 'Registrant Email') header = r;
  expect(header).toBeGreaterThan(0);
  rows.forEach((values, i) => values.forEach((v, c) => (sheet.getCell(header + 1 + i, c + 1).value = v)));
  return Buffer.from(await wb.xlsx.writeBuffer());
}
