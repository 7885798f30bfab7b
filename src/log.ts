// Logger factory shared by every layer: pino, with secrets redacted wherever they might appear. Lines
// are JSON (for services and log collectors) or, on a terminal, readable text through pino-pretty;
// redaction happens before either is written.

import { pino, type Logger, type LevelWithSilent } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

/** Field paths that may hold a secret; pino replaces their values before a line is written. */
const REDACT = [
  'cookie',
  'password',
  'passwordHash',
  'authorization',
  '*.cookie',
  '*.password',
  '*.passwordHash',
  '*.authorization',
  'headers.cookie',
  'headers.authorization',
  'req.headers.cookie',
  'req.headers.authorization',
  'jsToken',
  'bdstoken',
  '*.jsToken',
  '*.bdstoken',
];

/** `json`: one JSON object a line; `pretty`: readable lines; `auto`: pretty when stdout is a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  const opts = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined };
  const out = destination ?? process.stdout;
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  if (format === 'pretty' || (format === 'auto' && tty)) {
    // In-process and synchronous (no worker thread), so a line is out before a crash or an exit.
    const pretty = PinoPretty({ destination: out, colorize: tty, translateTime: 'SYS:HH:MM:ss.l', singleLine: true, sync: true });
    return pino(opts, pretty);
  }
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}

/** A logger that writes nothing, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
