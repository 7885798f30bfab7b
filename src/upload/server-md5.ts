// The md5 TeraBox reports for a committed file (protocol §3.2): the part's own MD5 for a one-part
// file, else the MD5 of the compact JSON block list. Comparing it with create's answer proves the
// server assembled the parts we meant, in our order.

import { createHash } from 'node:crypto';

export function serverMd5For(blockMd5s: readonly string[]): string {
  if (blockMd5s.length === 0) throw new RangeError('a committed file has at least one block');
  if (blockMd5s.length === 1) return blockMd5s[0]!.toLowerCase();
  return createHash('md5').update(JSON.stringify(blockMd5s)).digest('hex');
}
