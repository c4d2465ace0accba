/**
 * Which database errors are an outage (retryable STORE.UNAVAILABLE) and which are the
 * statement's own (unchanged): src/store/unavailable.ts.
 */
import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { isConnectionError, isUnavailable, STORE_UNAVAILABLE, translateConnectionError } from '../../src/store/unavailable.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('database connection errors', () => {
  it.each([
    ['server down', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['connection reset', withCode('read ECONNRESET', 'ECONNRESET')],
    ['write to a closed socket', withCode('write EPIPE', 'EPIPE')],
    ['unreachable host', withCode('connect EHOSTUNREACH 10.0.0.9:5432', 'EHOSTUNREACH')],
    ['pg_ctl -m fast (57P01 admin_shutdown)', withCode('terminating connection due to administrator command', '57P01')],
    ['crash of another backend (57P02)', withCode('terminating connection because of crash of another server process', '57P02')],
    ['starting up or shutting down (57P03)', withCode('the database system is shutting down', '57P03')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['class 08 connection exception', withCode('connection failure', '08006')],
    ['socket closed under a query', new Error('Connection terminated unexpectedly')],
    ['connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pool checkout timeout', new Error('timeout exceeded when trying to connect')],
    ['client already broken', new Error('Client has encountered a connection error and is not queryable')],
  ])('%s is an outage', (_what, err) => {
    expect(isConnectionError(err)).toBe(true);
    const t = translateConnectionError(err);
    expect(t).toBeInstanceOf(MailcaError);
    expect((t as MailcaError).code).toBe(STORE_UNAVAILABLE);
    expect((t as MailcaError).permanent).toBe(false);
    expect((t as MailcaError).cause).toBe(err);
    expect(isUnavailable(t)).toBe(true);
  });

  it.each([
    ['unique violation', withCode('duplicate key value violates unique constraint "x"', '23505')],
    ['syntax error', withCode('syntax error at or near "SELEC"', '42601')],
    ['serialization failure', withCode('could not serialize access', '40001')],
    ['wrong password', withCode('password authentication failed for user "mailca"', '28P01')],
    ['no such database', withCode('database "x" does not exist', '3D000')],
    ['a file error', withCode('ENOENT: no such file', 'ENOENT')],
    ['a plain error', new Error('something else')],
    ['not an error', 'ECONNREFUSED'],
  ])('%s is not an outage and passes unchanged', (_what, err) => {
    expect(isConnectionError(err)).toBe(false);
    expect(translateConnectionError(err)).toBe(err);
  });

  it('leaves a MailcaError as it is', () => {
    const own = new MailcaError({ code: 'X.Y', message: 'mine', permanent: true });
    expect(translateConnectionError(own)).toBe(own);
    expect(isUnavailable(own)).toBe(false);
  });
});
