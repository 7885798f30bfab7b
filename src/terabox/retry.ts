// Retries with exponential backoff and jitter, under one of two policies:
//
//   idempotent  network errors, timeouts, HTTP 429/5xx, errno 31034 (anything TeraBoxError.retryable):
//               repeating the call cannot change the outcome.
//   unsafe      only failures that provably never reached the server (connect refused / DNS / connect
//               timeout): a repeat could apply the operation twice (filemanager, create with rtype 0/1).
//   caller      one attempt: the caller owns the retries because it must judge the answer itself
//               (superfile2: the uploader compares each part's md5 and retries the part alone, so
//               retrying here too would multiply the requests a throttled account sees).
//
// Which call gets which policy is the table in endpoints.ts.

import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { TeraBoxError } from './errors.js';

export type RetryPolicy = 'idempotent' | 'unsafe' | 'caller';

export interface RetrySettings {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryHooks {
  signal?: AbortSignal;
  logger?: Logger;
  /** Label for log lines (an endpoint path). */
  label?: string;
  /** For tests: a source of randomness in [0, 1) and a sleep. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Errors raised before a single byte of the request could reach the server. */
const CONNECT_PHASE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True when the error (or what it wraps) shows the connection was never established. */
export function isConnectError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECT_PHASE.has(code)) return true;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0 && errors.every(isConnectError)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function shouldRetry(err: unknown, policy: RetryPolicy): boolean {
  if (!(err instanceof TeraBoxError)) return false;
  if (policy === 'caller') return false;
  return policy === 'idempotent' ? err.retryable : isConnectError(err);
}

/** Delay before retry number `n` (0-based): half of the exponential step fixed, half random. */
export function backoffDelay(n: number, settings: RetrySettings, random: () => number = Math.random): number {
  const step = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** n);
  return Math.round(step / 2 + random() * (step / 2));
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withRetry<T>(
  policy: RetryPolicy,
  settings: RetrySettings,
  attempt: () => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  const logger = hooks.logger ?? silentLogger;
  const sleep = hooks.sleep ?? abortableSleep;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n + 1 >= settings.attempts || hooks.signal?.aborted || !shouldRetry(err, policy)) throw err;
      const delay = backoffDelay(n, settings, hooks.random);
      logger.warn(
        { endpoint: hooks.label, code: (err as TeraBoxError).code, errno: (err as TeraBoxError).errno, attempt: n + 1, delay },
        'terabox: retrying',
      );
      await sleep(delay, hooks.signal);
    }
  }
}
