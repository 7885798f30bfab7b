// Helpers for tests of the drive contract: write and read whole bodies, and the code a call fails
// with. The stack under the drive comes from test/support (startStack).

import { buffer } from 'node:stream/consumers';
import type { Drive } from '../../src/drive/index.js';
import type { ByteRange } from '../../src/drive/types.js';
import { bodyOf } from '../support/index.js';

export async function put(drive: Drive, path: string, content: Buffer | string) {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return drive.write(path, bodyOf(buf), { size: buf.length });
}

export async function get(drive: Drive, path: string, range?: ByteRange): Promise<Buffer> {
  const { stream } = await drive.read(path, range);
  return buffer(stream);
}

/** The DriveError code a promise rejects with ('resolved' when it does not reject). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
