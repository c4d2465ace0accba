/**
 * Journey A step 5: "the file can be downloaded only once, and its private key was then
 * destroyed" — also when the download form is sent several times at once (a double click,
 * two windows, someone who has the PIN racing the holder). Exactly one POST gets a PKCS#12;
 * the others are told a download is in progress and get no key; the key is destroyed once,
 * support is asked to activate once. A download that did not go out frees the link again.
 * Real SMTP both ways, real Redis, on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { PEOPLE, SUPPORT, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { field, post } from '../helpers/smime-flow.js';

const AT_ONCE = 6;
const PASSWORD = 'quiet-river-stone-48';

describe.skipIf(!peersPresent('redis-server', 'openssl')).each(BACKENDS)('one pickup download however many at once on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  const auditCount = async (action: string, subject: string): Promise<number> =>
    (await h.service.wired.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND subject = $2', [action, subject]))[0]!.n;

  /** Through the PIN: the download form's fields. */
  async function downloadForm(who: string): Promise<{ ref: string; url: string; form: Record<string, string> }> {
    const { ref, url, pin } = await throughApproval(h, who);
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const details = await (await post(url, { csrf, pin })).text();
    return { ref, url, form: { csrf, ticket: field(details, 'ticket'), password: PASSWORD, confirm: PASSWORD, format: 'modern' } };
  }

  it(`${AT_ONCE} downloads at once: one PKCS#12, the key destroyed once, support asked once`, async () => {
    const who = `race.download@${PEOPLE}`;
    const { ref, url, form } = await downloadForm(who);
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => post(`${url}/download`, form)));
    const got = await Promise.all(answers.map(async (r) => ({ status: r.status, type: r.headers.get('content-type') ?? '', body: Buffer.from(await r.arrayBuffer()) })));
    const files = got.filter((g) => g.type === 'application/x-pkcs12');
    expect(files, got.map((g) => `${g.status} ${g.type}`).join('; ')).toHaveLength(1);
    expect(files[0]!.status).toBe(200);
    for (const g of got.filter((x) => x.type !== 'application/x-pkcs12')) {
      // in progress (409), or already collected (410) when it came after the first had finished
      expect([409, 410]).toContain(g.status);
      expect(g.body.toString()).toMatch(/download of this certificate is in progress|already collected|no longer here/i);
    }
    await h.mailTo(SUPPORT, new RegExp(ref));
    await h.settled();
    const rows = await h.service.wired.store.db.query('SELECT p.state, e.state AS request, e.sealed_key FROM pickups p JOIN enrolments e ON e.id = p.enrolment_id WHERE e.id = $1', [ref]);
    expect(rows[0]).toMatchObject({ state: 'collected', request: 'collected', sealed_key: null });
    expect(await auditCount('pickup.collected', ref)).toBe(1);
    expect(h.catcher.messages.filter((m) => m.envelope.to.includes(SUPPORT) && (m.parsed.subject ?? '').includes(ref))).toHaveLength(1);
    // afterwards the link says so
    const later = await post(`${url}/download`, form);
    expect(later.status).toBe(410);
  }, 120_000);

  it('a download that did not go out frees the link, and a claim lapses by itself after a crash', async () => {
    const who = `cut.off@${PEOPLE}`;
    const { ref, url, form } = await downloadForm(who);
    const pickups = h.service.wired.store.pickups;
    const now = new Date();
    const later = (ms: number) => new Date(now.getTime() + ms);
    // a download holds the link: a second one is refused until it is given back
    expect(await pickups.claimDownload(ref, now, later(120_000))).toBe(true);
    expect(await pickups.claimDownload(ref, now, later(120_000))).toBe(false);
    const refused = await post(`${url}/download`, form);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('A download of this certificate is in progress');
    // the connection closed before the file went out: given back
    await pickups.releaseDownload(ref);
    expect(await pickups.claimDownload(ref, now, later(120_000))).toBe(true);
    // the process died holding it: free once its time is up
    expect(await pickups.claimDownload(ref, later(60_000), later(180_000))).toBe(false);
    expect(await pickups.claimDownload(ref, later(120_000), later(240_000))).toBe(true);
    await pickups.releaseDownload(ref);
    // and the holder gets the file
    const file = await post(`${url}/download`, form);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/x-pkcs12');
    await file.arrayBuffer();
    await h.mailTo(SUPPORT, new RegExp(ref));
    expect(await pickups.claimDownload(ref, later(600_000), later(720_000))).toBe(false); // collected: never again
  }, 120_000);
});
