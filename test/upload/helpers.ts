// Shared test helpers for the upload pipeline: temp dirs, deterministic bytes, reference digests.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

export const KiB = 1024;

export function md5(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** MD5 of each `chunk`-byte block of `data` (at least one). */
export function blockMd5s(data: Buffer, chunk: number): string[] {
  const out: string[] = [];
  for (let off = 0; off < data.length; off += chunk) out.push(md5(data.subarray(off, off + chunk)));
  return out.length > 0 ? out : [md5('')];
}

export function wholeDigests(data: Buffer): { contentMd5: string; sliceMd5: string; crc32: number } {
  return { contentMd5: md5(data), sliceMd5: md5(data.subarray(0, 256 * KiB)), crc32: crc32(data) };
}

export function bytes(n: number): Buffer {
  return randomBytes(n);
}

/** A body that arrives in pieces of `piece` bytes, as a socket would deliver it. */
export function bodyOf(data: Buffer, piece = 64 * KiB): Readable {
  function* pieces() {
    for (let off = 0; off < data.length; off += piece) yield data.subarray(off, off + piece);
  }
  return Readable.from(pieces(), { objectMode: false });
}

export async function tempDir(prefix = 'tbw-upload-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
