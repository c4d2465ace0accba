/**
 * A bounce as a receiving MTA sends it (RFC 3464 delivery status notification, inside a
 * multipart/report of RFC 6522) to one of mailca's VERP return paths.
 */
export function deliveryReport(o: { readonly verp: string; readonly outboundId: string; readonly mtaDomain: string; readonly recipient: string; readonly status: string }): string {
  return [
    `From: Mail Delivery System <MAILER-DAEMON@mx.${o.mtaDomain}>`,
    `To: ${o.verp}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <dsn-${o.outboundId}@mx.${o.mtaDomain}>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'The mail could not be delivered.',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; mx.${o.mtaDomain}`,
    '',
    `Final-Recipient: rfc822; ${o.recipient}`,
    'Action: failed',
    `Status: ${o.status}`,
    '--b1--',
    '',
  ].join('\r\n');
}
