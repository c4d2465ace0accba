/**
 * The answer to an enrolment mail with problems (PRODUCT.md, journey A step 2): every
 * problem at once, that nothing was stored, and a correct example to copy.
 */
import { address, code, example, heading, link, list, para, renderLayout, type Block, type MailSite } from './layout.js';
import { enrolmentExample } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface EnrolmentProblemsParams extends MailSite {
  /** Each in words a person can act on; none repeats the challenge phrase. */
  readonly problems: readonly string[];
}

export function renderEnrolmentProblems(params: EnrolmentProblemsParams): RenderedMail {
  const enrol = address(params, 'enrol');
  const help = address(params, 'help');
  const n = params.problems.length;
  const found: Block[] =
    n === 0
      ? [para('Your mail could not be read as a certificate request.')]
      : [
          para(n === 1 ? 'We found one problem in your certificate request:' : `We found ${n} problems in your certificate request:`),
          list(...params.problems.map((p) => [p])),
        ];

  return renderLayout({
    site: params,
    subject: 'Your certificate request could not be accepted',
    blocks: [
      ...found,
      para('Nothing was stored and nothing else will happen with this mail. For your safety, this mail never repeats your challenge phrase.'),

      heading('What to do next'),
      para('Correct the points above and send the whole request again, as a new mail to ', link(`mailto:${enrol}`, enrol), '. Write one "Field: value" line per field.'),
      example(`A correct request to ${enrol} looks like this:`, enrolmentExample(params)),
      list(
        ['Local authority code: a letter and four digits, for example ', code('E0931'), '.'],
        ['Email: leave it out to use the address you write from.'],
        ['Comments: optional.'],
        ['Key: optional, one of ', code('rsa-2048'), ', ', code('rsa-3072'), ' or ', code('rsa-4096'), '. Or leave it out and attach a certificate request (CSR) instead.'],
      ),
      para('A guide to every field and command comes from ', link(`mailto:${help}`, help), '.'),
    ],
  });
}
