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
// Two priorities share the bucket: foreground (a client's WebDAV request, the default) and background
// (write-back commits and the start-up resume of journalled commits, marked with inBackground()). A
// foreground caller gets the next token before any background waiter, and background calls leave a
// fifth of the burst to foreground ones, so a read or listing never queues behind dozens of commits.
//
// Time comes from an injectable clock so tests never sleep.

import type { Reply } from './http.js';
import { currentPriority, type Priority } from './priority.js';
import { Errno } from './wire.js';
import { abortableSleep } from '../util/clock.js';

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
/** The share of the burst background calls may not take (none for a burst under 5). */
const BACKGROUND_RESERVE = 1 / 5;
/** Slack for float error in token counts. */
const EPSILON = 1e-9;

interface Waiter {
  resolve: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Real time, sleeping with setTimeout (abortable). */
const realClock: PacerClock = { now: () => Date.now(), sleep: abortableSleep };

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
  /** Callers waiting for a token, in arrival order per priority. */
  private readonly waiting: Record<Priority, Waiter[]> = { foreground: [], background: [] };
  /** Tokens background calls leave in the bucket for foreground ones. */
  readonly reserve: number;
  /** The pending wake-up of pump(), if any. */
  private wake?: { at: number; stop: AbortController };
  private limited = 0;
  private readonly starts: number[] = [];

  constructor(opts: PacingOptions) {
    if (!Number.isFinite(opts.callsPerSecond) || opts.callsPerSecond < 0) throw new RangeError('apiCallsPerSecond must be ≥ 0');
    if (!Number.isFinite(opts.burst) || opts.burst < 1) throw new RangeError('apiBurst must be ≥ 1');
    this.configured = opts.callsPerSecond;
    this.burst = opts.burst;
    this.clock = opts.clock ?? realClock;
    this.rate = this.configured;
    this.tokens = this.burst;
    this.refilledAt = this.clock.now();
    this.reserve = Math.floor(this.burst * BACKGROUND_RESERVE);
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

  /**
   * Waits for the right to start one API call. Foreground waiters (a client's request) get the next
   * token before any background waiter (write-back commits, start-up resume), whatever their arrival
   * order; within a priority, waiters are served in order. Background calls also leave the last
   * `reserve` tokens of the bucket to foreground ones. An aborted waiter leaves the queue; nobody
   * behind it loses a place.
   */
  take(signal?: AbortSignal, priority: Priority = 'foreground'): Promise<void> {
    if (!this.enabled) {
      this.note(this.clock.now());
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const queue = this.waiting[priority];
      const waiter: Waiter = { resolve, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      queue.push(waiter);
      this.pump();
    });
  }

  /** How many callers wait for a token now, by priority. */
  queued(): Record<Priority, number> {
    return { foreground: this.waiting.foreground.length, background: this.waiting.background.length };
  }

  /** Grants every token that is due, foreground first; else sets one wake-up for when the next one is. */
  private pump(): void {
    const now = this.clock.now();
    this.refill(now);
    for (;;) {
      const foreground = this.waiting.foreground.length > 0;
      const queue = foreground ? this.waiting.foreground : this.waiting.background;
      const waiter = queue[0];
      if (!waiter) {
        this.cancelWake();
        return;
      }
      const need = foreground ? 1 : 1 + this.reserve;
      // Tokens accrue from refilledAt on (in the future while a pause lasts).
      const short = need - this.tokens > EPSILON ? ((need - this.tokens) / this.rate) * 1000 : 0;
      const wait = Math.max(0, this.refilledAt - now) + short;
      if (wait > 0) {
        this.wakeAt(now + Math.ceil(wait), now);
        return;
      }
      queue.shift();
      this.tokens -= 1;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.note(now);
      waiter.resolve();
    }
  }

  /** One timer at a time: kept if it rings no later than `at` (pump() then looks again), else replaced. */
  private wakeAt(at: number, now: number): void {
    if (this.wake && this.wake.at <= at) return;
    this.cancelWake();
    const wake = { at, stop: new AbortController() };
    this.wake = wake;
    this.clock.sleep(at - now, wake.stop.signal).then(
      () => {
        if (this.wake !== wake) return;
        this.wake = undefined;
        this.pump();
      },
      () => {},
    );
  }

  private cancelWake(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.stop.abort();
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
    this.rate = Math.max(this.configured * MIN_RATE_FRACTION, this.rate / 2);
    const pause = pauseMs ?? Math.min(MAX_PAUSE_MS, PAUSE_MS * 2 ** (this.strikes - 1));
    // One call may go when the pause ends; the rest follow at the slowed rate.
    this.tokens = 1;
    this.refilledAt = now + pause;
    // Waiters now wait out the pause: push the pending wake-up back.
    this.cancelWake();
    this.pump();
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
 * pauses every caller. A call made inside inBackground() (priority.ts) waits behind foreground ones.
 * Whether the call is repeated is the retry policy's decision (RATE_LIMITED is retryable for
 * idempotent calls); its next attempt waits here for the pause to end.
 */
export async function withPacing<R extends Pick<Reply, 'status' | 'errno' | 'headers'>>(
  pacer: ApiPacer,
  endpoint: string,
  attempt: () => Promise<R>,
  signal?: AbortSignal,
): Promise<R> {
  if (UNPACED.has(endpoint)) return attempt();
  await pacer.take(signal, currentPriority());
  const reply = await attempt();
  if (isRateLimited(reply)) pacer.penalize(retryAfterMs(reply));
  return reply;
}
