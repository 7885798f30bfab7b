// The bytes of a download as the WebDAV layer receives them. When TeraBox cuts the connection after
// the read was opened, the rest is fetched again with a range from the byte reached, a few times, so
// a reset costs the client nothing (a FUSE mount cannot retry a read and reports EIO). A failure that
// remains surfaces as a DriveError like every other drive failure, not as a raw socket error the
// layer above cannot tell from a bug.

import { Readable } from 'node:stream';
import { toDriveError } from './errors.js';
import { DriveError } from './types.js';

/** Breaks of the upstream body one read survives. */
export const DOWNLOAD_RESUMES = 5;

export interface ReadResume {
  /** A body for the bytes after the first `delivered` ones of the read (a ranged download). */
  reopen(delivered: number): Promise<Readable>;
  /** Breaks to survive; default DOWNLOAD_RESUMES. */
  attempts?: number;
}

function asDriveError(e: unknown, what: string, signal?: AbortSignal): DriveError {
  const mapped = toDriveError(e, what);
  if (mapped instanceof DriveError) return mapped;
  if (signal?.aborted) return new DriveError('ABORTED', `${what}: aborted`, e);
  return new DriveError('UPSTREAM', `${what}: the download broke off: ${(e as Error).message}`, e);
}

export function withDriveErrors(first: Readable, what: string, signal?: AbortSignal, resume?: ReadResume): Readable {
  const attempts = resume?.attempts ?? DOWNLOAD_RESUMES;
  let source = first;
  async function* bytes(): AsyncGenerator<Buffer> {
    let delivered = 0;
    for (let breaks = 0; ; breaks++) {
      try {
        // Leaving this loop early (the reader stopped) destroys the source: its connection is released.
        for await (const chunk of source as AsyncIterable<Buffer>) {
          delivered += chunk.length;
          yield chunk;
        }
        return;
      } catch (e) {
        const failure = asDriveError(e, what, signal);
        if (!resume || failure.code !== 'UPSTREAM' || signal?.aborted || out.destroyed || breaks >= attempts) throw failure;
        try {
          source = await resume.reopen(delivered);
        } catch (again) {
          throw asDriveError(again, what, signal);
        }
        if (out.destroyed) source.destroy();
      }
    }
  }
  const out = Readable.from(bytes(), { objectMode: false });
  // A reader that stops early, even before the first byte, must release the upstream connection.
  out.once('close', () => source.destroy());
  return out;
}
