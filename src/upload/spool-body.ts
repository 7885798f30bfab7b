// Streams an upload body into its spool file with backpressure and a byte limit, and reports after
// each write how far the file is written, so hashing can follow right behind the writer.

import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished, Writable } from 'node:stream';
import { UploadError } from './types.js';

/** Bytes buffered before the body is paused: bounds memory per upload whatever the body's size. */
const WRITE_BUFFER = 1024 * 1024;

export interface SpoolBodyOptions {
  /** Created by this call (it must not exist). */
  file: string;
  /** More bytes than this fails the upload with TOO_LARGE as soon as they arrive. */
  maxBytes: number;
  /** Called after each write reached the file, with the bytes written so far. */
  onWritten(bytes: number): void;
  signal?: AbortSignal;
}

class SpoolWriter extends Writable {
  written = 0;
  /** Why this writer failed (over the limit, disk full): reported as is, unlike the body's own errors. */
  failure: unknown;

  constructor(
    private readonly fh: FileHandle,
    private readonly opts: SpoolBodyOptions,
  ) {
    super({ highWaterMark: WRITE_BUFFER });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.settle(this.append([chunk]), cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.settle(this.append(chunks.map((c) => c.chunk)), cb);
  }

  private settle(p: Promise<void>, cb: (e?: Error | null) => void): void {
    p.then(
      () => cb(),
      (e: Error) => {
        this.failure = e;
        cb(e);
      },
    );
  }

  private async append(buffers: Buffer[]): Promise<void> {
    const total = buffers.reduce((n, b) => n + b.length, 0);
    if (this.written + total > this.opts.maxBytes) {
      throw new UploadError('TOO_LARGE', `the body is larger than the per-file limit of ${this.opts.maxBytes} bytes`);
    }
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await this.fh.writev(pending, this.written);
      this.written += bytesWritten;
      pending = dropBytes(pending, bytesWritten);
    }
    this.opts.onWritten(this.written);
  }
}

/** The buffers left after the first `n` bytes were written (writev may write less than asked). */
function dropBytes(buffers: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && n >= buffers[i]!.length) n -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (rest.length > 0 && n > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}

/**
 * Writes the whole body to `opts.file`; resolves with its size. The caller removes the file on failure.
 * When the writer fails (over the limit, disk full) the body is unpiped and paused, not destroyed, so
 * the caller can still answer the request; when the signal fires the body is destroyed.
 */
export async function spoolBody(body: Readable, opts: SpoolBodyOptions): Promise<number> {
  opts.signal?.throwIfAborted();
  const fh = await open(opts.file, 'wx', 0o600);
  const writer = new SpoolWriter(fh, opts);
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        body.unpipe(writer);
        body.destroy();
        writer.destroy();
        reject(opts.signal!.reason);
      };
      // A signal that fired while the file was being opened has dispatched its event already.
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (e?: unknown) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (e === undefined) resolve();
        else reject(e);
      };
      // Left attached after settling: a body that errors later must not become an unhandled 'error'.
      finished(body, (err) => {
        if (!err) return;
        writer.destroy();
        settle(new UploadError('ABORTED', `the request body ended early after ${writer.written} bytes: ${err.message}`, err));
      });
      writer.on('error', (e) => {
        body.unpipe(writer);
        body.pause();
        settle(writer.failure ?? e);
      });
      writer.on('finish', () => settle());
      body.pipe(writer);
    });
    return writer.written;
  } finally {
    // Waits for a write still in flight on a destroyed writer before closing the descriptor.
    await fh.close();
  }
}
