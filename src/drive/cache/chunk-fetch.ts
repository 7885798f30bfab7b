// One chunk being fetched from TeraBox into memory: readers are served its bytes as they arrive (a
// reader waiting for byte n wakes when n is in), and every reader of the same chunk shares the fetch.
// It knows who uses it (owners), so a fetch no remaining reader wants can be cancelled.
//
// A chunk may be fetched in parts, each a ranged request of its own filling its own stretch of the
// buffer: a reader that seeks into the middle of a chunk gets the part from its offset at once, while
// the part before it is fetched beside it (so the chunk can still be stored whole).

import { DriveError } from '../types.js';

/** One stretch of the chunk, [start, end) chunk-relative, filled from `start` as its bytes arrive. */
export interface FetchPart {
  readonly start: number;
  readonly end: number;
  received: number;
  done: boolean;
}

export class ChunkFetch {
  readonly buf: Buffer;
  /** In chunk order; together they cover the chunk. */
  readonly parts: readonly FetchPart[];
  done = false;
  error: Error | null = null;
  /** Readers that use this fetch (served from it, or started it as read-ahead). */
  readonly owners = new Set<object>();
  readonly abort = new AbortController();
  /** Settles when the upstream answered the first reader's part with a body (or refused). */
  readonly opened: Promise<void>;
  private openedResolve!: () => void;
  private openedReject!: (e: Error) => void;
  private waiters: (() => void)[] = [];

  /**
   * @param from where the reader that starts the fetch begins (chunk-relative): past 0, the chunk is
   *   fetched as two parts, [from, length) and [0, from).
   */
  constructor(
    readonly idx: number,
    readonly length: number,
    from = 0,
  ) {
    this.buf = Buffer.allocUnsafe(length);
    const cuts = from > 0 && from < length ? [0, from, length] : [0, length];
    this.parts = cuts.slice(1).map((end, i) => ({ start: cuts[i] ?? 0, end, received: 0, done: false }));
    this.opened = new Promise<void>((resolve, reject) => {
      this.openedResolve = resolve;
      this.openedReject = reject;
    });
    // Awaited only by the reader that opens a read with this chunk; others see `error`.
    this.opened.catch(() => undefined);
  }

  /** The part the reader that started the fetch needs first (the one holding its offset). */
  get firstNeeded(): FetchPart {
    return this.parts[this.parts.length - 1] as FetchPart;
  }

  markOpened(): void {
    this.openedResolve();
  }

  /** Appends bytes from upstream to a part; more than the part's length is a protocol failure. */
  append(part: FetchPart, chunk: Buffer): void {
    const size = part.end - part.start;
    if (part.received + chunk.length > size) {
      throw new DriveError('UPSTREAM', `TeraBox sent more than the ${size} bytes asked for`);
    }
    chunk.copy(this.buf, part.start + part.received);
    part.received += chunk.length;
    this.wake();
  }

  /** A part's request ended; the fetch is done once every part is. */
  finishPart(part: FetchPart): void {
    const size = part.end - part.start;
    if (part.received !== size) {
      throw new DriveError('UPSTREAM', `TeraBox ended a chunk after ${part.received} of ${size} bytes`);
    }
    part.done = true;
    if (this.parts.every((p) => p.done)) {
      this.done = true;
      this.openedResolve();
    }
    this.wake();
  }

  fail(e: Error): void {
    if (this.done || this.error) return;
    this.error = e;
    this.openedReject(e);
    this.wake();
  }

  /** Resolves on the next change (bytes in, done, failed). */
  changed(): Promise<void> {
    if (this.done || this.error) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Bytes [from, to] (chunk-relative) as they arrive; throws the fetch's failure. */
  async *serve(from: number, to: number): AsyncGenerator<Buffer> {
    let pos = from;
    while (pos <= to) {
      const part = this.parts.find((p) => pos >= p.start && pos < p.end);
      if (part && part.start + part.received > pos) {
        const upto = Math.min(part.start + part.received, to + 1);
        const piece = this.buf.subarray(pos, upto);
        pos = upto;
        yield piece;
        continue;
      }
      if (this.error) throw this.error;
      await this.changed();
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
