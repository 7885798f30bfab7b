// Logger factory shared by every layer: pino, with secrets redacted wherever they might appear.

import { pino, type Logger, type LevelWithSilent } from 'pino';

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

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  const opts = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}

/** A logger that writes nothing, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
