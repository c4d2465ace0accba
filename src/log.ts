/**
 * The root logger (pino) and one child per subsystem. Secrets are redacted by path as a
 * second line of defence; the first is never passing them.
 *
 * Two formats on stderr: JSON lines (for log collectors; the default when stderr is not a
 * terminal) and one coloured line per event for a person at a terminal (pino-pretty,
 * written synchronously so nothing is lost when the process exits). MAILCA_LOG_FORMAT
 * chooses explicitly.
 */
import { pino, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';

export const REDACT_PATHS = [
  'password', '*.password', 'pin', '*.pin', 'pkcs8', '*.pkcs8', 'privateKey', '*.privateKey',
  'masterKey', '*.masterKey', 'challenge', '*.challenge', 'sharedPassword', '*.sharedPassword',
  'databaseUrl', '*.databaseUrl',
];

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogStyle {
  /** null: pretty when the destination is a terminal, JSON otherwise. */
  readonly format?: LogFormat | null;
  /** Colours in the pretty format (only ever on a terminal). */
  readonly colour?: boolean;
}

const isTerminal = (s: NodeJS.WritableStream): boolean => (s as { isTTY?: boolean }).isTTY === true;

export function createRootLogger(level: string, destination: NodeJS.WritableStream = process.stderr, style: LogStyle = { format: 'json' }): Logger {
  const options = { level, base: { app: 'mailca' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const format = style.format ?? (isTerminal(destination) ? 'pretty' : 'json');
  if (format === 'pretty') {
    const stream = PinoPretty({
      destination,
      sync: true,
      colorize: (style.colour ?? true) && isTerminal(destination),
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,app',
      singleLine: true,
    });
    return pino(options, stream);
  }
  return pino(options, destination as pino.DestinationStream);
}

export type { Logger };
