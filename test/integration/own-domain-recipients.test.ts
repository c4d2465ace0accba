/**
 * An address at the bot's own mail domain can never get mail: mailca owns that domain,
 * and mail to it could only loop back. The command line refuses such staff, requesters
 * and contacts; an older database may still hold one, and then the one refused mail must
 * not silence the others. Here a support address at the bot's domain (inserted straight
 * into the store, as an old database could hold it) sits before the real support address;
 * after the holder collects, the real one still gets the activation request and can
 * activate, while the refused mail is logged and kept as `failed` for the operator.
 * On PGlite and on PostgreSQL, through the whole service (SMTP in, real mailer and store,
 * pickup by form posts, SMTP out). The refusals are checked through the real command line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { run } from '../helpers/exec.js';
import { DOMAIN, HOLDER, SUPPORT, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';

const UNDELIVERABLE = `helpdesk@${DOMAIN}`;
const FILE_PASSWORD = 'quiet-river-stone-48';

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('one undeliverable support address on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  it('does not stop the activation request to the other support address', async () => {
    const store = h.service.wired.store;
    // as an older mailca accepted it: straight into the store, past the command line's refusal
    expect(await store.staff.add({ email: UNDELIVERABLE, role: 'support', localAuthority: null }, { actor: 'test', action: 'staff.added', subject: UNDELIVERABLE, details: { role: 'support' } })).toBe(true);
    const support = (await store.staff.list()).filter((s) => s.role === 'support').map((s) => s.email);
    // the refused address comes first, so before the fix the loop stopped before SUPPORT
    expect(support).toEqual([UNDELIVERABLE, SUPPORT]);

    // enrol, confirm, approve
    const { ref, url, pin } = await throughApproval(h, HOLDER);

    // collect, as plain form posts
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await fetch(url)).text())![1]!;
    const details = await (await fetch(url, { method: 'POST', headers: form, body: new URLSearchParams({ csrf, pin }) })).text();
    const ticket = /name="ticket" value="([^"]+)"/.exec(details)![1]!;
    const file = await fetch(`${url}/download`, { method: 'POST', headers: form, body: new URLSearchParams({ csrf, ticket, password: FILE_PASSWORD, confirm: FILE_PASSWORD, format: 'modern' }) });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/x-pkcs12');
    await file.arrayBuffer();

    // the real support address is asked to activate, and its ACTIVATE works
    const ask = await h.mailTo(SUPPORT, new RegExp(ref), 60_000);
    expect(ask.parsed.text).toMatch(/ACTIVATE/);
    await h.replyTo(ask, SUPPORT, 'ACTIVATE');
    await h.mailTo(HOLDER, /is active/i, 60_000);
    await h.settled();

    // nothing went to the bot's own domain; the refusal is kept as a failed mail with its reason
    expect(h.catcher.messages.filter((m) => m.envelope.to.some((t) => t.toLowerCase().endsWith(`@${DOMAIN}`)))).toEqual([]);
    const rows = await store.db.query<{ kind: string; state: string; last_error: string }>('SELECT kind, state, last_error FROM outbound_messages WHERE recipient = $1', [UNDELIVERABLE]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'activationRequest', state: 'failed' });
    expect(rows[0]!.last_error).toContain(`${UNDELIVERABLE} is at ${DOMAIN}, this mailca's own mail domain`);
    const queued = await store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbound_messages WHERE state = 'queued'`);
    expect(queued[0]!.n).toBe(0);

    // and logged as an error naming the address and the kind of mail, without its content
    const logged = h.logLines.map((l) => JSON.parse(l) as { level: number; msg: string; to?: string; kind?: string }).filter((l) => l.to === UNDELIVERABLE);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, kind: 'activationRequest' });
    expect(logged[0]!.msg).toContain('not sent');
  }, 240_000);
});

describe("the command line refuses addresses at mailca's own mail domain", () => {
  let dataDir: string;
  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, MAILCA_DATA_DIR: dataDir, MAILCA_MASTER_KEY: randomBytes(32).toString('hex'), MAILCA_MAIL_DOMAIN: DOMAIN });
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env: env(), timeoutMs: 120_000 });
  const WHY = "this mailca's own mail domain (MAILCA_MAIL_DOMAIN): mail to it comes back to mailca and never reaches a person.";

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailca-own-domain-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('for administrators, support and organisation requesters and contacts, saying why and what to use', async () => {
    const support = await cli('admins', 'add', '--support', '--email', UNDELIVERABLE);
    expect(support.code, support.stderr).toBe(2);
    expect(support.stderr).toContain('error [STAFF.BAD_INPUT]');
    expect(support.stderr).toContain(`${UNDELIVERABLE} is at ${DOMAIN}, ${WHY}`);
    expect(support.stderr).toContain("Use the person's or team's own mailbox");

    const admin = await cli('admins', 'add', '--email', `Admin@${DOMAIN.toUpperCase()}`, '--la', 'E0931');
    expect(admin.code, admin.stderr).toBe(2);
    expect(admin.stderr).toContain(`admin@${DOMAIN} is at ${DOMAIN}, ${WHY}`);

    const org = await cli('org', 'add', '--name', 'Oakfield Primary', '--phase', 'primary', '--domain', 'oakfield.sch.example', '--domain', DOMAIN, '--requester', 'office@oakfield.sch.example', '--contact', 'head@oakfield.sch.example', '--contact', `deputy@${DOMAIN}`);
    expect(org.code, org.stderr).toBe(2);
    expect(org.stderr).toContain('error [ORG.BAD_INPUT]');
    expect(org.stderr).toContain(`${DOMAIN} is this mailca's own mail domain (MAILCA_MAIL_DOMAIN), not the organisation's`);
    expect(org.stderr).toContain(`Management contact deputy@${DOMAIN} is at ${DOMAIN}, ${WHY}`);

    // nothing was added; an address elsewhere still is
    const list = await cli('admins', 'list');
    expect(list.stdout).toBe('');
    const good = await cli('admins', 'add', '--support', '--email', SUPPORT);
    expect(good.code, good.stderr).toBe(0);
    expect((await cli('org', 'list')).stdout).toBe('');
  }, 240_000);
});
