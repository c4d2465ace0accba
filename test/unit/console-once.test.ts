/**
 * Console actions that must run once per form (Console.once): the first POST with the
 * form's one-time value acts, any other is answered `already`; a failed action gives the
 * value back; a form without a value is refused as out of date.
 */
import { describe, expect, it } from 'vitest';
import { createConsole, type ConsoleDeps } from '../../src/workflow/console.js';

function consoleWith() {
  const used = new Set<string>();
  const released: string[] = [];
  const store = {
    claimSubmission: async (s: { token: string }) => (used.has(s.token) ? false : (used.add(s.token), true)),
    releaseSubmission: async (token: string) => void (used.delete(token), released.push(token)),
  };
  let n = 0;
  const deps = { store, clock: { now: () => new Date('2026-12-06T12:00:00Z') }, random: { bytes: (k: number) => new Uint8Array(k).fill(++n) } };
  return { ops: createConsole(deps as unknown as ConsoleDeps), released };
}

describe('Console.once', () => {
  it('makes a new 128-bit value for every form', () => {
    const { ops } = consoleWith();
    const a = ops.formOnce();
    const b = ops.formOnce();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(16);
    expect(a).not.toBe(b);
  });

  it('acts for the first POST of a form only', async () => {
    const { ops } = consoleWith();
    const token = ops.formOnce();
    let acted = 0;
    const act = async () => ++acted;
    expect(await ops.once(token, 'ops@x.test', 'credits.add', act)).toEqual({ done: 1 });
    expect(await ops.once(token, 'ops@x.test', 'credits.add', act)).toEqual({ already: true });
    expect(acted).toBe(1);
    expect(await ops.once(ops.formOnce(), 'ops@x.test', 'credits.add', act)).toEqual({ done: 2 });
  });

  it('gives the value back when the action fails, so the corrected form can go again', async () => {
    const { ops, released } = consoleWith();
    const token = ops.formOnce();
    await expect(ops.once(token, 'ops@x.test', 'credits.add', async () => Promise.reject(new Error('not a number')))).rejects.toThrow('not a number');
    expect(released).toEqual([token]);
    expect(await ops.once(token, 'ops@x.test', 'credits.add', async () => 'added')).toEqual({ done: 'added' });
  });

  it.each([undefined, '', 'short', 'x'.repeat(22) + '=', '../../etc/passwd'])('refuses a form without a proper value (%j) before acting', async (token) => {
    const { ops } = consoleWith();
    let acted = false;
    await expect(ops.once(token, 'ops@x.test', 'credits.add', async () => (acted = true))).rejects.toMatchObject({ code: 'CONSOLE.FORM_OUT_OF_DATE' });
    expect(acted).toBe(false);
  });
});
