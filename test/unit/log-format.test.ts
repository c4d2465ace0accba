/**
 * Readable logs (issue 13): one line per event for a person at a terminal, JSON lines
 * for a collector, chosen by the terminal or by MAILCA_LOG_FORMAT; redaction holds in both.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { envToConfig } from '../../src/config/config.js';
import { readEnv } from '../../src/config/env.js';
import { createRootLogger } from '../../src/log.js';

/** A stream that collects what is written; `isTTY` as a terminal would report it. */
function sink(isTTY: boolean): Writable & { text(): string; isTTY?: boolean } {
  const chunks: string[] = [];
  const s = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { text(): string; isTTY?: boolean };
  s.isTTY = isTTY;
  s.text = () => chunks.join('');
  return s;
}

/** An ANSI SGR escape (colour), e.g. ESC[32m. */
const ANSI = new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m');

const BASE = { MAILCA_MAIL_DOMAIN: 'bot.example.test', MAILCA_ENV: 'development' };
const config = (env: Record<string, string>) => envToConfig(readEnv({ ...BASE, ...env }));

describe('log format', () => {
  it('is one readable, coloured line per event on a terminal', () => {
    const out = sink(true);
    createRootLogger('info', out, { format: null, colour: true }).child({ subsystem: 'smtp' }).info({ inboundId: 'in-1' }, 'message stored');
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(() => JSON.parse(lines[0]!)).toThrow();
    expect(lines[0]).toContain('message stored');
    expect(lines[0]).toContain('in-1');
    expect(lines[0]).toMatch(ANSI); // ANSI colour
  });

  it('has no colour when colours are turned off (NO_COLOR)', () => {
    const out = sink(true);
    createRootLogger('info', out, { format: 'pretty', colour: false }).info('plain');
    expect(out.text()).toContain('plain');
    expect(out.text()).not.toMatch(ANSI);
  });

  it('is JSON lines when the destination is not a terminal', () => {
    const out = sink(false);
    createRootLogger('info', out, { format: null }).info({ inboundId: 'in-2' }, 'message stored');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'message stored', inboundId: 'in-2', app: 'mailca' });
  });

  it('is JSON on a terminal when MAILCA_LOG_FORMAT=json says so', () => {
    const out = sink(true);
    const c = config({ MAILCA_LOG_FORMAT: 'json' });
    createRootLogger('info', out, { format: c.logFormat, colour: c.logColour }).info('x');
    expect(JSON.parse(out.text().trim())).toMatchObject({ msg: 'x' });
  });

  it('redacts secrets in the pretty format too', () => {
    const out = sink(true);
    createRootLogger('info', out, { format: 'pretty', colour: false }).info({ pin: '12345678', password: 'hunter2hunter2' }, 'checked');
    expect(out.text()).not.toContain('12345678');
    expect(out.text()).not.toContain('hunter2hunter2');
    expect(out.text()).toContain('[redacted]');
  });
});

describe('log settings', () => {
  it('reads MAILCA_LOG_LEVEL before LOG_LEVEL, MAILCA_LOG_FORMAT and NO_COLOR', () => {
    expect(config({ MAILCA_LOG_LEVEL: 'debug', LOG_LEVEL: 'warn' }).logLevel).toBe('debug');
    expect(config({ LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(config({}).logFormat).toBeNull();
    expect(config({ MAILCA_LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(config({}).logColour).toBe(true);
    expect(config({ NO_COLOR: '1' }).logColour).toBe(false);
  });

  it('lists a bad format and a bad level together', () => {
    let problems: readonly string[] = [];
    try {
      config({ MAILCA_LOG_FORMAT: 'xml', MAILCA_LOG_LEVEL: 'loud' });
    } catch (err) {
      problems = (err as { problems?: readonly string[] }).problems ?? [];
    }
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^MAILCA_LOG_FORMAT must be pretty/), expect.stringMatching(/^MAILCA_LOG_LEVEL must be one of/)]));
  });
});
