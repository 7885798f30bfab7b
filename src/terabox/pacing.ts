// Pacing of API calls (docs/terabox-protocol.md §7, "Pacing"): one token bucket shared by every
// caller of a client, so a burst of PROPFINDs over many folders, a copy of a tree and the uploads'
// precreate/create calls together stay under what a free account tolerates. Data transfers (superfile2
// parts, dlinks, file bytes) are not API calls and are not paced here.
//
// A rate-limit answer (HTTP 429, errno 31034 "operation too frequent") halves the bucket's rate and
// holds every caller back for a growing pause (Retry-After when the server gives one); the retry
// policy decides whether the refused call is repeated. The rate creeps back to the configured one
// after a quiet spell.
//
// Time comes from an injectable clock so tests never sleep.

import type { Reply } from './http.js';
import { Errno } from './wire.js';

export interface PacerClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface PacingOptions {
  /** Sustained API calls per second; 0 turns pacing off. */
  callsPerSecond: number;
  /** Calls that may go at once after a quiet spell (the bucket's size). */
  burst: number;
  clock?: PacerClock;
}

export interface PacingStats {
  /** Calls started per second over the last few seconds. */
  callsPerSecond: number;
  /** The rate the bucket refills at now (lower than configured after rate-limit answers). */
  limit: number;
  /** Rate-limit answers seen since start. */
  rateLimited: number;
}

/** Answers that mean "too many calls": the server did not act on the call. */
export const RATE_LIMIT_ERRNOS: readonly number[] = [Errno.TOO_FREQUENT];

/** Endpoints whose calls move file data: not paced. */
const UNPACED = new Set(['/rest/2.0/pcs/superfile2']);

/** Window over which the call rate is measured for the status page. */
const WINDOW_MS = 5_000;
/** The first pause after a rate-limit answer, doubled for each one in a row, capped. */
const PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 30_000;
/** Quiet time after the last rate-limit answer before the rate starts to recover. */
const RECOVER_AFTER_MS = 10_000;
/** The rate never drops below this fraction of the configured one. */
const MIN_RATE_FRACTION = 1 / 16;

export const systemClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
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
    }),
};

export function isRateLimited(reply: Pick<Reply, 'status' | 'errno'>): boolean {
  return reply.status === 429 || RATE_LIMIT_ERRNOS.includes(reply.errno);
}

function retryAfterMs(reply: Pick<Reply, 'headers'>): number | undefined {
  const raw = reply.headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Math.min(MAX_PAUSE_MS, Number(value) * 1000);
}

export class ApiPacer {
  private readonly configured: number;
  private readonly burst: number;
  private readonly clock: PacerClock;
  private rate: number;
  private tokens: number;
  /** Tokens accrue from here on; in the future while a pause lasts. */
  private refilledAt: number;
  private strikes = 0;
  private lastStrikeAt = -Infinity;
  /** Bumped by every pause, so callers waiting on a reservation from before it queue again. */
  private pauses = 0;
  private limited = 0;
  private readonly starts: number[] = [];

  constructor(opts: PacingOptions) {
    if (!Number.isFinite(opts.callsPerSecond) || opts.callsPerSecond < 0) throw new RangeError('apiCallsPerSecond must be ≥ 0');
    if (!Number.isFinite(opts.burst) || opts.burst < 1) throw new RangeError('apiBurst must be ≥ 1');
    this.configured = opts.callsPerSecond;
    this.burst = opts.burst;
    this.clock = opts.clock ?? systemClock;
    this.rate = this.configured;
    this.tokens = this.burst;
    this.refilledAt = this.clock.now();
  }

  get enabled(): boolean {
    return this.configured > 0;
  }

  private refill(now: number): void {
    if (now <= this.refilledAt) return;
    const from = this.refilledAt;
    if (this.rate < this.configured) {
      // Back up by a tenth of the configured rate per quiet second.
      const quietFrom = Math.max(from, this.lastStrikeAt + RECOVER_AFTER_MS);
      if (now > quietFrom) this.rate = Math.min(this.configured, this.rate + (this.configured / 10) * ((now - quietFrom) / 1000));
      if (this.rate >= this.configured) this.strikes = 0;
    }
    this.tokens = Math.min(this.burst, this.tokens + ((now - from) / 1000) * this.rate);
    this.refilledAt = now;
  }

  /** Waits for the right to start one API call. Each caller reserves its token, so waiters are served in order. */
  async take(signal?: AbortSignal): Promise<void> {
    while (this.enabled) {
      const epoch = this.pauses;
      const now = this.clock.now();
      this.refill(now);
      this.tokens -= 1;
      const wait = Math.max(0, this.refilledAt - now) + (this.tokens < 0 ? (-this.tokens / this.rate) * 1000 : 0);
      if (wait > 0) await this.clock.sleep(Math.ceil(wait), signal);
      // A pause began while we waited: our reservation was forgiven with the rest; queue behind the pause.
      if (this.pauses === epoch) break;
    }
    this.note(this.clock.now());
  }

  private note(now: number): void {
    this.starts.push(now);
    while (this.starts.length > 0 && this.starts[0]! <= now - WINDOW_MS) this.starts.shift();
  }

  /**
   * A rate-limit answer: halve the rate and pause every caller (for Retry-After when the server says,
   * else 1 s doubling with each answer in a row). Answers to calls sent before the pause began, arriving
   * while it lasts, count once.
   */
  penalize(pauseMs?: number): void {
    const now = this.clock.now();
    this.limited++;
    if (!this.enabled || now < this.refilledAt) return;
    this.refill(now);
    this.strikes++;
    this.lastStrikeAt = now;
    this.pauses++;
    this.rate = Math.max(this.configured * MIN_RATE_FRACTION, this.rate / 2);
    const pause = pauseMs ?? Math.min(MAX_PAUSE_MS, PAUSE_MS * 2 ** (this.strikes - 1));
    // One call may go when the pause ends; the rest follow at the slowed rate.
    this.tokens = 1;
    this.refilledAt = now + pause;
  }

  stats(): PacingStats {
    const now = this.clock.now();
    const recent = this.starts.filter((t) => t > now - WINDOW_MS).length;
    if (this.enabled) this.refill(now);
    return { callsPerSecond: Math.round((recent / (WINDOW_MS / 1000)) * 100) / 100, limit: this.rate, rateLimited: this.limited };
  }
}

/**
 * One API exchange under the pacer: waits for a token; a rate-limit answer slows the bucket and
 * pauses every caller. Whether the call is repeated is the retry policy's decision (RATE_LIMITED is
 * retryable for idempotent calls); its next attempt waits here for the pause to end.
 */
export async function withPacing<R extends Pick<Reply, 'status' | 'errno' | 'headers'>>(
  pacer: ApiPacer,
  endpoint: string,
  attempt: () => Promise<R>,
  signal?: AbortSignal,
): Promise<R> {
  if (UNPACED.has(endpoint)) return attempt();
  await pacer.take(signal);
  const reply = await attempt();
  if (isRateLimited(reply)) pacer.penalize(retryAfterMs(reply));
  return reply;
}
