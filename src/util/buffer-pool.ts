// Reusable fixed-size buffers for hot byte paths. A buffer handed out can come back through give()
// once nobody uses it any more (say, once its bytes were written to a socket); a consumer that never
// gives it back costs nothing but an allocation. Reuse matters because every fresh buffer is memory
// outside V8's heap: allocating hundreds of MiB a second of them makes V8 run a full collection every
// few milliseconds ("external memory pressure"), which halved the speed of reads from disk.
// readPieces() reads a file through such a pool; filePieces is the pool file reads share.

import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

export class BufferPool {
  private readonly idle: Buffer[] = [];
  /** Buffers handed out and not given back, by their memory (a piece may come back as a sub-range). */
  private readonly lent = new WeakMap<ArrayBufferLike, Buffer>();

  /**
   * @param size bytes per buffer
   * @param maxIdle most buffers kept for reuse (the rest are left to the garbage collector)
   */
  constructor(
    readonly size: number,
    private readonly maxIdle: number,
  ) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('size must be a positive integer');
  }

  /** A buffer of `size` bytes, with whatever bytes it held before. */
  take(): Buffer {
    // allocUnsafeSlow: memory of its own, never a slice of Node's shared pool, so it can be reused.
    const buf = this.idle.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.lent.set(buf.buffer, buf);
    return buf;
  }

  /**
   * Takes back a buffer from take() (or any sub-range of one) that nobody reads any more. Returns false
   * for anything else, which is left alone; a buffer given twice is reused once.
   */
  give(piece: Buffer): boolean {
    const buf = this.lent.get(piece.buffer);
    if (buf === undefined) return false;
    this.lent.delete(piece.buffer);
    if (this.idle.length < this.maxIdle) this.idle.push(buf);
    return true;
  }

  /** Buffers waiting for reuse (tests). */
  get idleCount(): number {
    return this.idle.length;
  }
}

/** The pool reads of local files (cached chunks, spooled and overlay bodies) take their pieces from. */
export const filePieces = new BufferPool(1024 * 1024, 16);

/**
 * Bytes [from, to] (inclusive) of an open file, in pieces from `pool` (each may go back to it once its
 * bytes are used), the next piece read while this one is being used. Throws if the file ends early.
 */
export async function* readPieces(fh: FileHandle, from: number, to: number, pool: BufferPool = filePieces): AsyncGenerator<Buffer> {
  const readAt = (pos: number) => fh.read(pool.take(), 0, Math.min(pool.size, to - pos + 1), pos);
  let pos = from;
  let next = pos <= to ? readAt(pos) : undefined;
  try {
    while (next) {
      const { bytesRead, buffer } = await next;
      next = undefined;
      if (bytesRead <= 0) throw new Error('the file ended early');
      pos += bytesRead;
      if (pos <= to) next = readAt(pos);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    // A reader that stopped early: the read in flight settles before the file may close.
    await next?.catch(() => undefined);
  }
}

/** A stream of bytes [from, to] of an open file (read with readPieces), which closes the file when it ends or is destroyed. */
export function fileRangeStream(fh: FileHandle, from: number, to: number): Readable {
  const stream = Readable.from(readPieces(fh, from, to), { objectMode: false, highWaterMark: 4 * 1024 * 1024 });
  // On 'close', not in the generator: a stream destroyed before its first read never runs the
  // generator's body (nor its finally), and 'close' comes after any read in flight has settled.
  stream.once('close', () => void fh.close().catch(() => undefined));
  return stream;
}
