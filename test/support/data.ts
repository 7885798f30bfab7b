// Test data: sizes, bodies and digests every suite uses.

import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/**
 * `n` bytes of content. With a seed, the same pseudo-random bytes every time (so a failure
 * reproduces, and two calls can make identical content on purpose); without one, fresh random bytes
 * (so the uploader never takes the rapid-upload path by accident).
 */
export function bytes(n: number, seed?: number): Buffer {
  if (seed === undefined) return randomBytes(n);
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function md5(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** A body that arrives in pieces of `piece` bytes, as a socket would deliver it. */
export function bodyOf(data: Buffer | string, piece = 64 * KiB): Readable {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  function* pieces() {
    for (let off = 0; off < buf.length; off += piece) yield buf.subarray(off, off + piece);
  }
  return Readable.from(pieces(), { objectMode: false });
}
