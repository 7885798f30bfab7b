// Download links and ranged fetches (protocol §2.3). `dlna`: filemetas with dlink=1&origin=dlna, the
// link used as is. `official`: home/info → downloadSign → /api/download → the dlink's 302 resolved
// (redirects off) to the data URL. Links are fetched with the User-Agent that minted them.

import type { ByteRange, DownloadLink, DownloadResponse, RemoteEntry } from './api.js';
import { homeInfo } from './account-calls.js';
import type { ClientContext } from './context.js';
import { cookieAppliesTo } from './cookie.js';
import { ENDPOINTS } from './endpoints.js';
import { failure, isTeraBoxError, TeraBoxError } from './errors.js';
import { decodeReply } from './http.js';
import { assertRemotePath } from './paths.js';
import { downloadSign } from './sign.js';
import { Errno, type WireDownloadResponse, type WireFilemetasResponse } from './wire.js';

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

function linkFor(ctx: ClientContext, url: string): DownloadLink {
  return { url, expiresAt: linkExpiry(url), headers: { 'user-agent': ctx.caller.transport.userAgent } };
}

function cookieHeader(ctx: ClientContext, url: URL): Record<string, string> {
  const session = ctx.caller.session;
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
async function dlnaLink(ctx: ClientContext, path: string): Promise<DownloadLink> {
  const endpoint = ENDPOINTS.dlnaLink.path;
  const { body, requestId } = await ctx.caller.call<WireFilemetasResponse>(ENDPOINTS.dlnaLink, {
    query: { dlink: 1, origin: 'dlna', target: JSON.stringify([path]) },
    accept: [Errno.PARTIAL],
  });
  const item = Array.isArray(body.info) ? body.info[0] : undefined;
  if (item?.errno) throw failure(endpoint, { errno: item.errno, requestId, detail: path });
  if (!item) throw failure(endpoint, { errno: Errno.NOT_FOUND, requestId, detail: path });
  return linkFor(ctx, httpUrl(endpoint, item.dlink).href);
}

/** GETs a dlink with redirects off and returns where it points (the dlink itself if it answers 2xx). */
async function resolveDlink(ctx: ClientContext, dlink: URL): Promise<string> {
  const { transport } = ctx.caller;
  return ctx.caller.retryIdempotent(DLINK, async () => {
    const { res } = await transport.send(DLINK, dlink, {
      method: 'GET',
      headers: { 'user-agent': transport.userAgent, ...cookieHeader(ctx, dlink) },
      deadlineMs: ctx.opts.timeouts.requestMs,
    });
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
async function officialLink(ctx: ClientContext, fsId: number): Promise<DownloadLink> {
  const endpoint = ENDPOINTS.download.path;
  const home = await homeInfo(ctx);
  const { body, requestId } = await ctx.caller.call<WireDownloadResponse>(ENDPOINTS.download, {
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
  return linkFor(ctx, await resolveDlink(ctx, httpUrl(endpoint, first.dlink)));
}

export async function downloadLink(ctx: ClientContext, entry: Pick<RemoteEntry, 'fsId' | 'path'>): Promise<DownloadLink> {
  assertRemotePath(entry.path, ENDPOINTS.dlnaLink.path);
  if (ctx.opts.downloadApi === 'dlna') {
    try {
      return await dlnaLink(ctx, entry.path);
    } catch (err) {
      // A missing file is missing either way; everything else may be the dlna route alone failing.
      if (isTeraBoxError(err, 'NOT_FOUND') || !isTeraBoxError(err)) throw err;
      ctx.opts.logger.info({ code: err.code, errno: err.errno }, 'terabox: dlna link failed, trying the official download API');
    }
  }
  return officialLink(ctx, entry.fsId);
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
  ctx: ClientContext,
  link: DownloadLink,
  range?: ByteRange,
  signal?: AbortSignal,
): Promise<DownloadResponse> {
  if (range) assertRange(range);
  const url = httpUrl(DATA, link.url);
  const headers: Record<string, string> = { ...cookieHeader(ctx, url), ...link.headers };
  if (range) headers.range = `bytes=${range.start}-${range.end}`;
  const { transport } = ctx.caller;
  return ctx.caller.retryIdempotent(
    DATA,
    async () => {
      const { res, rethrow } = await transport.send(DATA, url, { method: 'GET', headers, follow: true, signal });
      if (res.statusCode === 200 || res.statusCode === 206) {
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
