/**
 * The root logger (pino, JSON lines on stderr) and one child per subsystem. Secrets are
 * redacted by path as a second line of defence; the first is never passing them.
 */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'password', '*.password', 'pin', '*.pin', 'pkcs8', '*.pkcs8', 'privateKey', '*.privateKey',
  'masterKey', '*.masterKey', 'challenge', '*.challenge', 'sharedPassword', '*.sharedPassword',
  'databaseUrl', '*.databaseUrl',
];

export function createRootLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, base: { app: 'mailca' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination as pino.DestinationStream);
}

export type { Logger };
