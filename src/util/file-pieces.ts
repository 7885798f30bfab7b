// Reading local files (cached chunks, spooled and overlay bodies) in pieces from one shared
// BufferPool, so their memory is reused once the pieces are sent, and reading a stretch of a file
// whole into one buffer.

import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BufferPool } from './buffer-pool.js';

/** The pool reads of local files take their pieces from. */
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

/** Fills `buf` with the file's bytes from `position`; returns how many it got (fewer only at the end of the file). */
export async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, position + off);
    if (bytesRead <= 0) break;
    off += bytesRead;
  }
  return off;
}
