// Download links and ranged fetches (docs/terabox-protocol.md §2.3, §7). `dlna`: filemetas with
// dlink=1&origin=dlna, the link used as is. `official`: home/info → downloadSign → /api/download →
// the dlink's 302 resolved (redirects off) to the data URL. Links are fetched with the User-Agent that
// minted them. From datacenter addresses the dlink hop answers errno 400141 "need verify" (as a 200
// JSON body where the redirect or the bytes should be); then the session switches to the PCS route
// `/rest/2.0/pcs/file?method=download&path=…` on the web host (cookie, Range) and stays on it.

import type { ByteRange, DownloadLink, DownloadResponse, RemoteEntry } from './api.js';
import { homeInfo } from './account-calls.js';
import type { ClientContext } from './context.js';
import { cookieAppliesTo } from './cookie.js';
import { ENDPOINTS } from './endpoints.js';
import { failure, isTeraBoxError, TeraBoxError } from './errors.js';
import { decodeReply } from './http.js';
import { encodeParams } from './params.js';
import { Readable } from 'node:stream';
import { assertRemotePath } from './paths.js';
import { downloadSign } from './sign.js';
import { APP_ID, Errno, type WireDownloadResponse, type WireFilemetasResponse } from './wire.js';

/** Validity assumed when a link says nothing (OpenList caches links for an hour). */
export const DEFAULT_LINK_TTL_MS = 60 * 60 * 1000;
/** Taken off a link's stated expiry so a fetch never starts on a link about to die. */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;
/** For a link whose stated expiry already passed by our clock (skew): use it briefly, then re-mint. */
const SKEWED_LINK_TTL_MS = 60 * 1000;

/** Labels for errors and logs: these hosts' paths may be capabilities, so they are not quoted. */
const DLINK = 'dlink';
const DATA = 'data';

/** When a link stops working, from its `expires=` (unix seconds) when present. */
export function linkExpiry(url: string, now = Date.now()): number {
  let expires: number;
  try {
    expires = Number(new URL(url).searchParams.get('expires') ?? NaN) * 1000;
  } catch {
    expires = NaN;
  }
  if (!Number.isFinite(expires) || expires <= 0) return now + DEFAULT_LINK_TTL_MS;
  if (expires <= now) return now + SKEWED_LINK_TTL_MS;
  return expires - Math.min(EXPIRY_MARGIN_MS, (expires - now) / 2);
}

function linkFor(calls: ClientContext, url: string, path?: string): DownloadLink {
  return { url, expiresAt: linkExpiry(url), headers: { 'user-agent': calls.caller.transport.userAgent }, path };
}

const PCS_FILE = '/rest/2.0/pcs/file';
const PCS_DOWNLOAD_LABEL = '/rest/2.0/pcs/file?method=download';

/** The PCS download route for a path on the session's web host (no expiry of its own: the cookie authorises it). */
export function pcsLink(calls: ClientContext, path: string): DownloadLink {
  const url = new URL(PCS_FILE, calls.caller.session.baseUrl);
  url.search = encodeParams({ method: 'download', app_id: APP_ID, path });
  return { url: url.href, expiresAt: Date.now() + DEFAULT_LINK_TTL_MS, headers: { 'user-agent': calls.caller.transport.userAgent }, path };
}

function isPcsLink(link: DownloadLink): boolean {
  try {
    const url = new URL(link.url);
    return url.pathname === PCS_FILE && url.searchParams.get('method') === 'download';
  } catch {
    return false;
  }
}

/** Logged like API calls (the smoke test reads these lines); the link itself never is. */
function logCall(calls: ClientContext, endpoint: string, status: number, errno = 0): void {
  calls.opts.logger.debug({ endpoint, status, errno }, 'terabox: call');
}

/** Remembers for the session that dlinks answer 400141 here. */
function switchToPcs(calls: ClientContext, from: string): void {
  if (calls.caller.health.downloadRoute === 'pcs') return;
  calls.caller.health.downloadRoute = 'pcs';
  calls.opts.logger.warn(
    { from },
    'terabox: download links answer 400141 "need verify" from this address; downloading through /rest/2.0/pcs/file from now on',
  );
}

function isNeedVerify(e: unknown): boolean {
  return e instanceof TeraBoxError && e.errno === Errno.DLINK_NEED_VERIFY;
}

/** A small JSON answer where bytes or a redirect were expected: its errno, or undefined if it is data after all. */
function jsonErrno(
  headers: Record<string, string | string[] | undefined>,
  text: string,
): { errno: number; requestId?: string } | undefined {
  const { errno, requestId } = decodeReply(DATA, 200, headers, text);
  return errno !== 0 ? { errno, requestId } : undefined;
}

/** Answers that may be an error in JSON rather than file bytes: a JSON type and a small body. */
function mayBeJsonError(res: { headers: Record<string, string | string[] | undefined> }): boolean {
  const type = String(header(res.headers['content-type']) ?? '').toLowerCase();
  const length = nonNegative(header(res.headers['content-length']));
  return type.includes('json') && (length === undefined || length <= JSON_PEEK_BYTES);
}

const JSON_PEEK_BYTES = 4096;

function cookieHeader(calls: ClientContext, url: URL): Record<string, string> {
  const session = calls.caller.session;
  return cookieAppliesTo(url.hostname, new URL(session.baseUrl).hostname) ? { cookie: session.cookie } : {};
}

function httpUrl(label: string, value: unknown): URL {
  try {
    const url = new URL(String(value));
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // fall through
  }
  throw new TeraBoxError(`${label}: the server gave no usable link`, { code: 'UNKNOWN', endpoint: label });
}

/** filemetas dlink=1&origin=dlna (OpenList "crack", terabox-node). */
async function dlnaLink(calls: ClientContext, path: string): Promise<DownloadLink> {
  const endpoint = ENDPOINTS.dlnaLink.path;
  const { body, requestId } = await calls.caller.call<WireFilemetasResponse>(ENDPOINTS.dlnaLink, {
    query: { dlink: 1, origin: 'dlna', target: JSON.stringify([path]) },
    accept: [Errno.PARTIAL],
  });
  const item = Array.isArray(body.info) ? body.info[0] : undefined;
  if (item?.errno) throw failure(endpoint, { errno: item.errno, requestId, detail: path });
  if (!item) throw failure(endpoint, { errno: Errno.NOT_FOUND, requestId, detail: path });
  return linkFor(calls, httpUrl(endpoint, item.dlink).href, path);
}

/** GETs a dlink with redirects off and returns where it points (the dlink itself if it answers 2xx). */
async function resolveDlink(calls: ClientContext, dlink: URL): Promise<string> {
  const { transport } = calls.caller;
  return calls.caller.retryIdempotent(DLINK, async () => {
    const { res } = await transport.send(DLINK, dlink, {
      method: 'GET',
      headers: { 'user-agent': transport.userAgent, ...cookieHeader(calls, dlink) },
      deadlineMs: calls.opts.timeouts.requestMs,
    });
    if (res.statusCode >= 200 && res.statusCode < 300 && mayBeJsonError(res)) {
      const refusal = jsonErrno(res.headers, await res.body.text().catch(() => ''));
      logCall(calls, DLINK, res.statusCode, refusal?.errno);
      if (refusal) throw failure(DLINK, { errno: refusal.errno, requestId: refusal.requestId });
      return dlink.href;
    }
    logCall(calls, DLINK, res.statusCode);
    // Only the headers matter; dump() drops the connection rather than read a large (file data) body.
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    const location = res.headers.location;
    if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
      return httpUrl(DLINK, new URL(location, dlink)).href;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return dlink.href;
    throw failure(DLINK, { status: res.statusCode });
  });
}

/** home/info → sign → /api/download → resolved dlink (OpenList official, rclone fallback). */
async function officialLink(calls: ClientContext, fsId: number, path: string): Promise<DownloadLink> {
  const endpoint = ENDPOINTS.download.path;
  const home = await homeInfo(calls);
  const { body, requestId } = await calls.caller.call<WireDownloadResponse>(ENDPOINTS.download, {
    query: {
      type: 'dlink',
      vip: 2,
      sign: downloadSign(home.sign3, home.sign1),
      timestamp: Math.floor(Date.now() / 1000),
      need_speed: 1,
      fidlist: `[${fsId}]`,
    },
  });
  const first = Array.isArray(body.dlink) ? body.dlink[0] : undefined;
  if (!first) throw failure(endpoint, { errno: Errno.NOT_FOUND, requestId, detail: `fs_id ${fsId}` });
  try {
    return linkFor(calls, await resolveDlink(calls, httpUrl(endpoint, first.dlink)), path);
  } catch (e) {
    if (!isNeedVerify(e)) throw e;
    switchToPcs(calls, 'official');
    return pcsLink(calls, path);
  }
}

export async function downloadLink(calls: ClientContext, entry: Pick<RemoteEntry, 'fsId' | 'path'>): Promise<DownloadLink> {
  assertRemotePath(entry.path, ENDPOINTS.dlnaLink.path);
  if (calls.caller.health.downloadRoute === 'pcs') return pcsLink(calls, entry.path);
  if (calls.opts.downloadApi === 'dlna') {
    try {
      return await dlnaLink(calls, entry.path);
    } catch (err) {
      // A missing file is missing either way; everything else may be the dlna route alone failing.
      if (isTeraBoxError(err, 'NOT_FOUND') || !isTeraBoxError(err)) throw err;
      calls.opts.logger.info({ code: err.code, errno: err.errno }, 'terabox: dlna link failed, trying the official download API');
    }
  }
  return officialLink(calls, entry.fsId, entry.path);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function nonNegative(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

function assertRange(range: ByteRange): void {
  const ok = Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.end >= range.start;
  if (!ok) {
    throw new TeraBoxError(`${DATA}: invalid byte range ${range.start}-${range.end}`, { code: 'BAD_REQUEST', endpoint: DATA });
  }
}

/**
 * Fetches a link (following redirects), optionally a byte range. Retried until a body starts. A server
 * that ignores Range answers 200 with the whole file; the status tells the caller.
 */
export async function download(
  calls: ClientContext,
  link: DownloadLink,
  range?: ByteRange,
  signal?: AbortSignal,
): Promise<DownloadResponse> {
  // A link minted before the session switched routes (cached by the caller) goes the PCS way at once.
  const pcs = link.path !== undefined && !isPcsLink(link) && calls.caller.health.downloadRoute === 'pcs';
  if (pcs) return fetchLink(calls, pcsLink(calls, link.path!), range, signal);
  try {
    return await fetchLink(calls, link, range, signal);
  } catch (e) {
    if (!isNeedVerify(e) || link.path === undefined || isPcsLink(link)) throw e;
    switchToPcs(calls, 'dlink');
    return fetchLink(calls, pcsLink(calls, link.path), range, signal);
  }
}

async function fetchLink(calls: ClientContext, link: DownloadLink, range?: ByteRange, signal?: AbortSignal): Promise<DownloadResponse> {
  if (range) assertRange(range);
  const url = httpUrl(DATA, link.url);
  const headers: Record<string, string> = { ...cookieHeader(calls, url), ...link.headers };
  if (range) headers.range = `bytes=${range.start}-${range.end}`;
  const { transport } = calls.caller;
  return calls.caller.retryIdempotent(
    DATA,
    async () => {
      const { res, rethrow } = await transport.send(DATA, url, { method: 'GET', headers, follow: true, signal });
      const label = isPcsLink(link) ? PCS_DOWNLOAD_LABEL : DATA;
      if ((res.statusCode === 200 || res.statusCode === 206) && mayBeJsonError(res)) {
        // A refusal in JSON (400141 "need verify") where the bytes should be; a real small JSON file passes through.
        let bytes: Buffer;
        try {
          bytes = Buffer.from(await res.body.arrayBuffer());
        } catch (err) {
          return rethrow(err);
        }
        const refusal = jsonErrno(res.headers, bytes.toString('utf8'));
        logCall(calls, label, res.statusCode, refusal?.errno);
        if (refusal) throw failure(DATA, { errno: refusal.errno, requestId: refusal.requestId });
        const total = /\/(\d+)\s*$/.exec(header(res.headers['content-range']) ?? '')?.[1];
        return {
          status: res.statusCode,
          length: bytes.length,
          totalSize: total !== undefined ? Number(total) : bytes.length,
          contentMd5: header(res.headers['content-md5']),
          crc32: nonNegative(header(res.headers['x-bs-meta-crc32'])),
          body: Readable.from([bytes]),
        };
      }
      if (res.statusCode === 200 || res.statusCode === 206) {
        logCall(calls, label, res.statusCode);
        const length = nonNegative(header(res.headers['content-length']));
        const total = /\/(\d+)\s*$/.exec(header(res.headers['content-range']) ?? '')?.[1];
        const crc = nonNegative(header(res.headers['x-bs-meta-crc32']));
        return {
          status: res.statusCode,
          length: length ?? 0,
          totalSize: total !== undefined ? Number(total) : (length ?? 0),
          contentMd5: header(res.headers['content-md5']),
          crc32: crc,
          body: res.body,
        };
      }
      let text = '';
      try {
        text = await res.body.text();
      } catch (err) {
        rethrow(err);
      }
      const { errno, requestId } = decodeReply(DATA, res.statusCode, res.headers, text);
      logCall(calls, label, res.statusCode, errno);
      if (res.statusCode === 403 || res.statusCode === 410) {
        throw new TeraBoxError(`${DATA}: the download link expired or was refused (HTTP ${res.statusCode})`, {
          code: 'LINK_EXPIRED',
          status: res.statusCode,
          errno: errno || undefined,
          endpoint: DATA,
          requestId,
        });
      }
      if (res.statusCode === 416) {
        throw new TeraBoxError(`${DATA}: range not satisfiable`, { code: 'BAD_REQUEST', status: 416, endpoint: DATA, requestId });
      }
      throw failure(DATA, { status: res.statusCode, errno, requestId });
    },
    signal,
  );
}
