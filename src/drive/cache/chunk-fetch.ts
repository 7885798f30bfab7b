// One chunk being fetched from TeraBox into memory: readers are served its bytes as they arrive (a
// reader waiting for byte n wakes when n is in), and every reader of the same chunk shares the fetch.
// It knows who uses it (owners), so a fetch no remaining reader wants can be cancelled.

import { DriveError } from '../types.js';

export class ChunkFetch {
  readonly buf: Buffer;
  received = 0;
  done = false;
  error: Error | null = null;
  /** Readers that use this fetch (served from it, or started it as read-ahead). */
  readonly owners = new Set<object>();
  readonly abort = new AbortController();
  /** Settles when the upstream answered with a body (or refused). */
  readonly opened: Promise<void>;
  private openedResolve!: () => void;
  private openedReject!: (e: Error) => void;
  private waiters: (() => void)[] = [];

  constructor(
    readonly idx: number,
    readonly length: number,
  ) {
    this.buf = Buffer.allocUnsafe(length);
    this.opened = new Promise<void>((resolve, reject) => {
      this.openedResolve = resolve;
      this.openedReject = reject;
    });
    // Awaited only by the reader that opens a read with this chunk; others see `error`.
    this.opened.catch(() => undefined);
  }

  markOpened(): void {
    this.openedResolve();
  }

  /** Appends bytes from upstream; more than the chunk's length is a protocol failure. */
  append(chunk: Buffer): void {
    if (this.received + chunk.length > this.length) {
      throw new DriveError('UPSTREAM', `TeraBox sent more than the ${this.length} bytes asked for`);
    }
    chunk.copy(this.buf, this.received);
    this.received += chunk.length;
    this.wake();
  }

  finish(): void {
    if (this.received !== this.length) {
      throw new DriveError('UPSTREAM', `TeraBox ended a chunk after ${this.received} of ${this.length} bytes`);
    }
    this.done = true;
    this.openedResolve();
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
      if (this.received > pos) {
        const upto = Math.min(this.received, to + 1);
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
