// TeraBoxClient options and their defaults: what working live clients do, every knob overridable.

import { DEFAULTS } from '../defaults.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { GiB } from './chunk-size.js';
import type { PacerClock } from './pacing.js';
import type { RetrySettings } from './retry.js';
import { DESKTOP_USER_AGENT } from './wire.js';
import type { TransportObserver } from './http.js';

export interface TeraBoxTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /** A whole API call (headers and JSON body); for downloads, the wait for headers and between body chunks. */
  requestMs: number;
  /** One superfile2 part upload, start to answer. */
  partMs: number;
}

/** Transport tries and the backoff between them: also the backoff of the uploader's own retries. */
export type TeraBoxRetryOptions = RetrySettings;

export interface TeraBoxClientOptions {
  /** A full cookie string, or a bare `ndus` value (sent as `ndus=<v>; lang=en`). */
  cookie: string;
  /** Web/API host. Default `https://www.terabox.com`. */
  baseUrl?: string;
  /** Default: the desktop-client UA (§1.4), which avoids the reCAPTCHA page. */
  userAgent?: string;
  /** `api` = `/api/precreate|create` (live clients); `xpan` = `/rest/2.0/xpan/file?method=…` with bdstoken (seed). */
  apiStyle?: 'api' | 'xpan';
  /** Base URL for a region prefix from `Url-Domain-Prefix`. Default: replace the first host label. */
  regionUrl?: (prefix: string) => string;
  /** Upload host (`host[:port]`); skips locateupload. */
  uploadHost?: string;
  /** `dlna` (filemetas dlink, falls back to official on failure) or `official` (home/info sign + /api/download). */
  downloadApi?: 'dlna' | 'official';
  timeouts?: Partial<TeraBoxTimeouts>;
  retry?: Partial<TeraBoxRetryOptions>;
  /** Connections per origin in the keep-alive pool. */
  maxConnections?: number;
  /** Per-file limits by plan; the reference conflicts on premium (20 GB or 128 GiB), so it is a setting. */
  vipMaxFileSize?: number;
  freeMaxFileSize?: number;
  /**
   * Characters checkPath refuses in names. The reference lists none for TeraBox; the default is Baidu's
   * set (TeraBox's parent protocol), which the emulator uses too. "" leaves names to the server.
   */
  invalidNameChars?: string;
  logger?: Logger;
  /** API calls per second (token bucket shared by every caller; data transfers are not counted). 0 = no pacing (the default here; the app's setting defaults to 5). */
  apiCallsPerSecond?: number;
  /** Calls that may go at once after a quiet spell (default 10). */
  apiBurst?: number;
  /** For tests: the pacer's clock. */
  pacingClock?: PacerClock;
  /** Told about every request (endpoint, errno, bytes), for metrics. */
  observer?: TransportObserver;
}

export interface ResolvedOptions {
  cookie: string;
  baseUrl: string;
  userAgent: string;
  apiStyle: 'api' | 'xpan';
  regionUrl: (prefix: string) => string;
  uploadHost?: string;
  downloadApi: 'dlna' | 'official';
  timeouts: TeraBoxTimeouts;
  retry: TeraBoxRetryOptions;
  maxConnections: number;
  vipMaxFileSize: number;
  freeMaxFileSize: number;
  invalidNameChars: string;
  logger: Logger;
  apiCallsPerSecond: number;
  apiBurst: number;
  pacingClock?: PacerClock;
  observer?: TransportObserver;
}

export const DEFAULT_BASE_URL = 'https://www.terabox.com';

export const DEFAULT_INVALID_NAME_CHARS = '\\:*?"<>|';

export const DEFAULT_TIMEOUTS: Readonly<TeraBoxTimeouts> = DEFAULTS.terabox.timeouts;

export const DEFAULT_RETRY: Readonly<TeraBoxRetryOptions> = DEFAULTS.terabox.retry;

/** `https://www.terabox.com` + `jp` → `https://jp.terabox.com` (OpenList/rclone behaviour, §1.2). */
export function replaceFirstLabel(baseUrl: string, prefix: string): string {
  const url = new URL(baseUrl);
  const labels = url.hostname.split('.');
  url.hostname = labels.length > 2 ? [prefix, ...labels.slice(1)].join('.') : [prefix, ...labels].join('.');
  return url.origin;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`TeraBox option ${name} must be a positive number`);
  return value;
}

export function resolveOptions(opts: TeraBoxClientOptions): ResolvedOptions {
  let baseUrl: string;
  try {
    baseUrl = new URL(opts.baseUrl ?? DEFAULT_BASE_URL).origin;
  } catch {
    throw new TypeError('TeraBox option baseUrl is not a URL');
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  for (const [k, v] of Object.entries(timeouts)) positive(`timeouts.${k}`, v);
  positive('retry.attempts', retry.attempts);
  if (retry.baseDelayMs < 0 || retry.maxDelayMs < 0) throw new RangeError('TeraBox retry delays must not be negative');
  return {
    cookie: opts.cookie,
    baseUrl,
    userAgent: opts.userAgent || DESKTOP_USER_AGENT,
    apiStyle: opts.apiStyle ?? 'api',
    regionUrl: opts.regionUrl ?? ((prefix) => replaceFirstLabel(baseUrl, prefix)),
    uploadHost: opts.uploadHost,
    downloadApi: opts.downloadApi ?? 'dlna',
    timeouts,
    retry,
    maxConnections: positive('maxConnections', opts.maxConnections ?? DEFAULTS.terabox.maxConnections),
    vipMaxFileSize: positive('vipMaxFileSize', opts.vipMaxFileSize ?? 128 * GiB),
    freeMaxFileSize: positive('freeMaxFileSize', opts.freeMaxFileSize ?? 4 * GiB),
    invalidNameChars: opts.invalidNameChars ?? DEFAULT_INVALID_NAME_CHARS,
    logger: opts.logger ?? silentLogger,
    apiCallsPerSecond: opts.apiCallsPerSecond ?? 0,
    apiBurst: opts.apiBurst ?? 10,
    pacingClock: opts.pacingClock,
    observer: opts.observer,
  };
}
