// Benchmark inputs: files of pseudo-random bytes from a seed (AES-256-CTR keystream), so every run
// uploads the same bytes, no two cases share content (which would turn an upload into a rapid
// upload or a block dedupe), and generation is fast enough not to matter.

import { createCipheriv, createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK = 4 * 1024 * 1024;

/**
 * Writes `bytes` pseudo-random bytes derived from `seed` to `file` (created or truncated) and syncs
 * it, so the writeback of the new file cannot land in the middle of a measurement.
 */
export async function writeSeededFile(file: string, bytes: number, seed: string): Promise<void> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  const fh = await open(file, 'w');
  try {
    for (let left = bytes; left > 0; left -= CHUNK) {
      await fh.write(cipher.update(left >= CHUNK ? zeros : zeros.subarray(0, left)));
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** A small deterministic PRNG (mulberry32) for offsets, so runs read the same ranges. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
