// The drive's own pages under /.well-known/terabox-webdav/: the status snapshot as JSON. The prefix is
// reserved: it is answered here, never by the drive, so nothing under it can be listed, written or
// moved, whatever TeraBox holds.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { WELL_KNOWN_PREFIX, type DriveStatus } from '../drive/status.js';
import { sendBody } from './respond.js';
import { DavError } from './status.js';

/** True when a decoded request path falls under the reserved prefix. */
export function isWellKnownPath(path: string): boolean {
  return path === WELL_KNOWN_PREFIX || path.startsWith(WELL_KNOWN_PREFIX + '/');
}

export interface WellKnownOptions {
  /** The status snapshot; without it the pages answer 404. */
  status?: () => Promise<DriveStatus>;
}

/** Answers a request whose path is under the reserved prefix. */
export async function handleWellKnown(req: IncomingMessage, res: ServerResponse, path: string, opts: WellKnownOptions): Promise<void> {
  const method = (req.method ?? '').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    throw new DavError(405, `${WELL_KNOWN_PREFIX}/ is reserved for the drive's status pages`);
  }
  const page = path.slice(WELL_KNOWN_PREFIX.length);
  if (page === '/status.json' && opts.status) {
    const snapshot = await opts.status();
    return sendBody(req, res, 200, JSON.stringify(snapshot), {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
  }
  throw new DavError(404, 'No such status page');
}
