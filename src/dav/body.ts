// Request bodies other than PUT's: read whole, with a hard size cap checked before and while reading,
// whether the client sent Content-Length or a chunked body.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { DavError } from './status.js';
import { watchBodyStall } from './stall-watch.js';

/** True when the request carries a body (a non-zero Content-Length, or any Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > 0;
}

/** The body's exact size: undefined for a chunked body, 0 when none is announced; a malformed value is a 400. */
export function contentLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const raw = req.headers['content-length'];
  if (raw === undefined) return 0;
  if (!/^\d+$/.test(raw)) throw new DavError(400, 'Malformed Content-Length');
  const n = Number(raw);
  // Node takes lengths up to 2^64 - 1; no body that long can be stored, nor counted exactly here.
  if (!Number.isSafeInteger(n)) throw new DavError(413, `Content-Length ${raw} is larger than any file the drive can store`);
  return n;
}

/**
 * Reads the body into memory. `beforeRead` runs just before the first byte is wanted (it sends the
 * 100 Continue a client may be waiting for). Over `maxBytes` the request fails with 413 without
 * reading further; a client that stalls for `idleMs` is dropped.
 */
export async function readBody(
  req: IncomingMessage,
  maxBytes: number,
  idleMs: number,
  beforeRead: () => void,
  res?: ServerResponse,
): Promise<Buffer> {
  if (!hasBody(req)) return Buffer.alloc(0);
  const declared = contentLength(req);
  const tooLarge = () => new DavError(413, `Request body over the ${maxBytes}-byte limit`);
  if (declared !== undefined && declared > maxBytes) throw tooLarge();
  beforeRead();
  const chunks: Buffer[] = [];
  let total = 0;
  const stopWatch = watchBodyStall(req, idleMs, res);
  try {
    // Keep the request alive on an early exit so the 413 can still be sent on its socket.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } finally {
    stopWatch();
  }
  return Buffer.concat(chunks, total);
}
