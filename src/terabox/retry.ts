// The one retry engine of the project: exponential backoff with jitter, abortable between tries.
//
// Transport retries are decided here, per endpoint, under one of three policies:
//
//   idempotent  network errors, timeouts, HTTP 429/5xx, errno 31034 (anything TeraBoxError.retryable):
//               repeating the call cannot change the outcome.
//   unsafe      only failures that provably never reached the server (connect refused / DNS / connect
//               timeout): a repeat could apply the operation twice (filemanager, create with rtype 0/1).
//   caller      one attempt: the caller owns the retries because it must judge the answer itself
//               (superfile2: the uploader compares each part's md5 and retries the part alone, so
//               retrying here too would multiply the requests a throttled account sees).
//
// Which call gets which policy is the table in endpoints.ts. Layers above (the uploader) retry only
// for reasons that depend on meaning — a part or a commit whose md5 is wrong, a stale upload
// session — and do so through `retrying` below with a predicate of their own, never on top of the
// transport's tries.

import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { TeraBoxError } from './errors.js';
import { abortableSleep } from '../util/clock.js';

export type RetryPolicy = 'idempotent' | 'unsafe' | 'caller';

/** The backoff between tries: the project's one backoff setting (`terabox.retry`). */
export interface Backoff {
  /** Delay before the second try; doubles with each further try. */
  baseDelayMs: number;
  /** Cap on one delay. */
  maxDelayMs: number;
}

export interface RetrySettings extends Backoff {
  /** Tries in all, the first included. */
  attempts: number;
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

/**
 * Delay before retry number `n` (0-based). "Equal jitter": half the exponential step is fixed, half
 * random, so parallel calls that failed together do not retry in lockstep yet never retry at once.
 */
export function backoffDelay(n: number, backoff: Backoff, random: () => number = Math.random): number {
  const step = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** n);
  return Math.round(step / 2 + random() * (step / 2));
}

export interface RetryOptions extends RetryHooks {
  /** Tries in all, the first included. */
  attempts: number;
  backoff: Backoff;
  /** Whether this failure is worth another try. */
  retryable(error: unknown): boolean;
  /** Told before each wait: the error, how many tries failed so far (1-based) and the wait. */
  onRetry?(error: unknown, failures: number, waitMs: number): void;
}

/**
 * Calls `fn` until it succeeds, fails with an error `retryable` refuses, or the tries run out (the
 * last error is thrown). A signal that fires stops it at once with the signal's own reason.
 */
export async function retrying<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (attempt >= opts.attempts || !opts.retryable(e)) throw e;
      const waitMs = backoffDelay(attempt - 1, opts.backoff, opts.random);
      opts.onRetry?.(e, attempt, waitMs);
      await sleep(waitMs, opts.signal);
    }
  }
}

/** A TeraBox exchange under its endpoint's transport policy. */
export function withRetry<T>(policy: RetryPolicy, settings: RetrySettings, attempt: () => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
  const logger = hooks.logger ?? silentLogger;
  return retrying(attempt, {
    ...hooks,
    attempts: settings.attempts,
    backoff: settings,
    retryable: (err) => shouldRetry(err, policy),
    onRetry: (err, failures, delay) =>
      logger.warn(
        { endpoint: hooks.label, code: (err as TeraBoxError).code, errno: (err as TeraBoxError).errno, attempt: failures, delay },
        'terabox: retrying',
      ),
  });
}
