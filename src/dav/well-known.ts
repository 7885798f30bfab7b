// The drive's own pages under /.well-known/terabox-webdav/: the status page (HTML), the status snapshot
// as JSON and the Prometheus metrics. The prefix is reserved: it is answered here, never by the drive,
// so nothing under it can be listed, written or moved, whatever TeraBox holds.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { WELL_KNOWN_PREFIX, type DriveStatus } from '../drive/status.js';
import type { Drive, Entry } from '../drive/types.js';
import { sendBody, sendEmpty } from './respond.js';
import { renderStatusPage } from './status-page.js';
import { DavError } from './status.js';
import type { DavPath } from './paths.js';

/** True when a decoded request path falls under the reserved prefix. */
export function isWellKnownPath(path: string): boolean {
  return path === WELL_KNOWN_PREFIX || path.startsWith(WELL_KNOWN_PREFIX + '/');
}

/** A collection's members less the reserved prefix: it is the drive's own, whatever TeraBox holds there. */
export async function listVisibleMembers(drive: Drive, path: string): Promise<Entry[]> {
  return (await drive.list(path)).filter((m) => !isWellKnownPath(m.path));
}

/** What the dav layer needs of the metrics: a place to report requests, and the text to serve. */
export interface DavMetrics {
  /** One request ended; status 499 when the client went away first. Bytes are on the wire, headers included. */
  requestEnded(e: { method: string; status: number; seconds: number; bytesIn: number; bytesOut: number }): void;
  /** The Prometheus exposition. */
  scrape(): Promise<{ contentType: string; text: string }>;
}

export interface WellKnownOptions {
  /** The status snapshot; without it the status pages answer 404. */
  status?: () => Promise<DriveStatus>;
  /** Without it /metrics answers 404. */
  metrics?: DavMetrics;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

/** `?refresh=N` on the status page, 1–300 seconds; default 5. */
function refreshSeconds(url: string | undefined): number {
  const q = /[?&]refresh=(\d{1,3})(?:&|$)/.exec(url ?? '');
  return q ? Math.min(300, Math.max(1, Number(q[1]))) : 5;
}

/** The snapshot, or a 503 that says so (a status page must not fail as a 500 because a part of the drive did). */
async function snapshot(status: () => Promise<DriveStatus>): Promise<DriveStatus> {
  try {
    return await status();
  } catch {
    throw new DavError(503, 'The drive status is not available right now');
  }
}

/** Answers a request whose path is under the reserved prefix. */
export async function handleWellKnown(req: IncomingMessage, res: ServerResponse, target: DavPath, opts: WellKnownOptions): Promise<void> {
  const method = (req.method ?? '').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    throw new DavError(405, `${WELL_KNOWN_PREFIX}/ is reserved for the drive's status pages`);
  }
  const page = target.path.slice(WELL_KNOWN_PREFIX.length);
  if (page === '' && !target.trailingSlash && opts.status) {
    // The folder form is the page's one address.
    return sendEmpty(req, res, 301, { Location: `${WELL_KNOWN_PREFIX}/`, ...NO_STORE });
  }
  if (page === '' && opts.status) {
    const html = renderStatusPage(await snapshot(opts.status), { refreshSeconds: refreshSeconds(req.url) });
    return sendBody(req, res, 200, html, {
      'Content-Type': 'text/html; charset=utf-8',
      // The page is the drive's own: no framing by other sites, no scripts but its own inline one.
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      ...NO_STORE,
    });
  }
  if (page === '/status.json' && opts.status) {
    return sendBody(req, res, 200, JSON.stringify(await snapshot(opts.status)), {
      'Content-Type': 'application/json; charset=utf-8',
      ...NO_STORE,
    });
  }
  if (page === '/metrics' && opts.metrics) {
    const { contentType, text } = await opts.metrics.scrape();
    return sendBody(req, res, 200, text, { 'Content-Type': contentType, ...NO_STORE });
  }
  throw new DavError(404, 'No such status page');
}
