// The directory of many small files for the PROPFIND case, made the same on both sides: on the
// emulator through the project's own TeraBox client (one small file uploaded, then server-side
// copies, 100 per filemanager call, several calls at a time), and as plain files in rclone's folder.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import type { MoveItem } from '../../src/terabox/api.js';

const CONTENT_BYTES = 1024;
/** filemanager calls in flight while copying. */
const COPY_STREAMS = 4;

export function memberName(i: number): string {
  return `file-${String(i).padStart(5, '0')}.bin`;
}

/** Creates `dir` on the emulator with `count` copies of one 1 KiB file. */
export async function seedRemoteDir(baseUrl: string, cookie: string, dir: string, count: number): Promise<void> {
  const api = createTeraBoxClient({ baseUrl, cookie });
  try {
    const seed = `${dir}.seed.bin`;
    const bytes = randomBytes(CONTENT_BYTES);
    const md5 = createHash('md5').update(bytes).digest('hex');
    await api.mkdir(dir);
    const pre = await api.precreate({ path: seed, size: bytes.length, blockList: [md5], rtype: 3 });
    if (pre.returnType !== 2) await api.uploadPart({ path: seed, uploadId: pre.uploadId, partseq: 0, data: new Blob([bytes]) });
    await api.create({ path: seed, size: bytes.length, uploadId: pre.uploadId, blockList: [md5], rtype: 3 });
    const items: MoveItem[] = Array.from({ length: count }, (_, i) => ({ path: seed, dest: dir, newname: memberName(i) }));
    const share = Math.ceil(count / COPY_STREAMS);
    await Promise.all(Array.from({ length: COPY_STREAMS }, (_, s) => api.copy(items.slice(s * share, (s + 1) * share))));
  } finally {
    await api.close();
  }
}

/** Creates `dir` locally with `count` files of 1 KiB, named as on the emulator. */
export async function seedLocalDir(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const bytes = randomBytes(CONTENT_BYTES);
  for (let i = 0; i < count; i++) await writeFile(join(dir, memberName(i)), bytes);
}
