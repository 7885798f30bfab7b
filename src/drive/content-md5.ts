// The whole-file MD5 TeraBox may send with a download (`content-md5`), checked on full-file reads.
// The last piece of the body is held back until the digest is known, so a mismatch reaches the client
// as a cut connection (short of the announced length), never as a clean end of wrong bytes.

import { createHash } from 'node:crypto';
import { DriveError } from './types.js';

/** The header as plain lowercase hex (TeraBox sends hex; RFC 1864's base64 is taken too), else undefined. */
export function plainContentMd5(value: string | undefined): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^[0-9a-f]{32}$/i.test(v)) return v.toLowerCase();
  if (/^[A-Za-z0-9+/]{22}==$/.test(v)) return Buffer.from(v, 'base64').toString('hex');
  return undefined;
}

/**
 * Passes `source` through, holding its last piece back until the end; then compares the MD5 of all
 * the bytes with `expected()` (read at the end: it may be learnt while the bytes flow). A mismatch
 * calls onMismatch (awaited) and throws instead of yielding the last piece. No expected digest: no check.
 */
export async function* md5Checked(
  source: AsyncIterable<Buffer>,
  expected: () => string | undefined,
  what: string,
  onMismatch?: (actual: string) => Promise<void> | void,
): AsyncGenerator<Buffer> {
  const hash = createHash('md5');
  let held: Buffer | undefined;
  for await (const piece of source) {
    if (piece.length === 0) continue;
    hash.update(piece);
    if (held) yield held;
    held = piece;
  }
  const want = expected();
  const actual = hash.digest('hex');
  if (want !== undefined && want !== actual) {
    await onMismatch?.(actual);
    throw new DriveError('UPSTREAM', `${what}: the bytes TeraBox sent do not match its content-md5 (${actual} instead of ${want})`);
  }
  if (held) yield held;
}
