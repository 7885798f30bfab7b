// Retrying an idempotent call: exponential backoff with jitter, abortable between tries.

import { setTimeout as delay } from 'node:timers/promises';

export interface Backoff {
  /** Delay before the second try; doubles with each further try. */
  baseMs: number;
  /** Cap on one delay. */
  maxMs: number;
}

/**
 * Delay after the `failures`-th failure (1-based). "Equal jitter": half the exponential step is fixed,
 * half random, so parallel parts that failed together do not retry in lockstep yet never retry at once.
 */
export function backoffDelay(failures: number, backoff: Backoff, random: () => number = Math.random): number {
  const step = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failures - 1));
  return step / 2 + random() * (step / 2);
}

export interface RetryOptions {
  /** Total tries, the first one included. */
  attempts: number;
  backoff: Backoff;
  retryable(error: unknown): boolean;
  signal?: AbortSignal;
  onRetry?(error: unknown, failures: number, waitMs: number): void;
}

/** Calls `fn` until it succeeds, fails with a non-retryable error, or the tries run out (last error thrown). */
export async function retrying<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (attempt >= opts.attempts || !opts.retryable(e)) throw e;
      const waitMs = backoffDelay(attempt, opts.backoff);
      opts.onRetry?.(e, attempt, waitMs);
      // The timer rejects only when the signal fires; callers want the signal's own reason.
      await delay(waitMs, undefined, { signal: opts.signal }).catch(() => {
        throw opts.signal!.reason;
      });
    }
  }
}
