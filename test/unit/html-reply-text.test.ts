import { describe, expect, it } from 'vitest';
import { commandText } from '../../src/domain/reply-command.js';
import { OUTLOOK_SEPARATOR, createHtmlReplyText } from '../../src/inbound/html-reply-text.js';

const toText = createHtmlReplyText();
const REASON = 'This person moved to the neighbouring council in September and should ask their new administrator';

describe('HTML replies read by structure', () => {
  const cases: [string, string, string | null][] = [
    ['one paragraph stays one line, however long', `<p>REJECT ${REASON}</p><p>Jo</p>`, `REJECT ${REASON}`],
    ['Outlook lines typed with Enter are one paragraph', `<div class="WordSection1"><p class="MsoNormal">REJECT This person moved to the neighbouring council<o:p></o:p></p><p class="MsoNormal">in September and should ask their new administrator<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Jo<o:p></o:p></p></div>`, `REJECT ${REASON}`],
    ['br inside a div', `<div>REJECT This person moved to the neighbouring council in September and<br>should ask their new administrator<br><br>Jo</div>`, `REJECT ${REASON}`],
    ['Outlook desktop: the border-top div ends the reply', `<p class="MsoNormal"><o:p>&nbsp;</o:p></p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>From:</b> mailca<br><b>Sent:</b> Saturday</p></div><p class="MsoNormal">APPROVE</p>`, null],
    ['Outlook web: divRplyFwdMsg ends the reply', `<div>CONFIRM</div><hr><div id="divRplyFwdMsg"><b>From:</b> mailca</div><div>Reply APPROVE</div>`, 'CONFIRM'],
    ['Gmail: gmail_quote blockquote is quoted text, the reply below it is found', `<div class="gmail_quote"><div class="gmail_attr">On Sat, 5 Dec 2026 at 10:00, mailca &lt;<a href="mailto:noreply@bot.test">noreply@bot.test</a>&gt; wrote:<br></div><blockquote class="gmail_quote">Reply APPROVE or REJECT</blockquote></div><div>APPROVE</div>`, 'APPROVE'],
    ['a list item is a line', `<ul><li>APPROVE</li><li>thanks</li></ul>`, 'APPROVE'],
    ['a table row is a line', `<table><tr><td>CONFIRM</td></tr><tr><td>Jo</td></tr></table>`, 'CONFIRM'],
    ['links do not add their address', `<p>REJECT see <a href="https://intranet.example/x">the staff list</a></p>`, 'REJECT see the staff list'],
  ];
  it.each(cases)('%s', (_label, html, expected) => {
    expect(commandText(toText(html))).toBe(expected);
  });

  it('quotes blockquotes with "> " and marks the Outlook header with its separator', () => {
    const text = toText('<div>APPROVE</div><blockquote>quoted line</blockquote><div id="divRplyFwdMsg">From: x</div>');
    expect(text).toContain('> quoted line');
    expect(text.split('\n')).toContain(OUTLOOK_SEPARATOR);
  });
});
