// Reference digests for the upload pipeline's tests (computed here the plain way, to check the
// pipeline's own).

import { crc32 } from 'node:zlib';
import { KiB, md5 } from '../support/index.js';

/** MD5 of each `chunk`-byte block of `data` (at least one). */
export function blockMd5s(data: Buffer, chunk: number): string[] {
  const out: string[] = [];
  for (let off = 0; off < data.length; off += chunk) out.push(md5(data.subarray(off, off + chunk)));
  return out.length > 0 ? out : [md5('')];
}

export function wholeDigests(data: Buffer): { contentMd5: string; sliceMd5: string; crc32: number } {
  return { contentMd5: md5(data), sliceMd5: md5(data.subarray(0, 256 * KiB)), crc32: crc32(data) };
}
