// One HTTP exchange with TeraBox over a keep-alive undici pool: the common query parameters, the
// browser-like headers, the cookie and tokens, JSON decoding and errno extraction. Network failures
// become TeraBoxErrors here; errno checking is checkReply(), so the token-refresh and region-switch
// wrappers can look at an answer before it turns into an error.

import { performance } from 'node:perf_hooks';
import { Agent, interceptors, request, type Dispatcher, type FormData } from 'undici';
import type { Logger } from '../log.js';
import { failure, TeraBoxError } from './errors.js';
import { encodeParams, type Params } from './params.js';
import type { TeraBoxTimeouts } from './options.js';
import { COMMON_QUERY } from './wire.js';

export type HeaderMap = Record<string, string>;
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** What an API call needs from the session, read afresh for every attempt. */
export interface SessionView {
  readonly baseUrl: string;
  readonly cookie: string;
  readonly jsToken?: string;
  readonly bdstoken?: string;
}

export interface ApiRequest {
  /** The path, e.g. `/api/list`; also the label in logs and errors (queries never are). */
  endpoint: string;
  method: 'GET' | 'POST';
  /** Default: the session's base URL. */
  origin?: string;
  query?: Params;
  /** A form-urlencoded body. */
  form?: Params;
  /** A multipart body, built afresh for each attempt. */
  multipart?: () => FormData;
  /** Add app_id/web/channel/clienttype (default true). */
  common?: boolean;
  /** Send the session's jsToken in the query when one is known (default true). */
  jsToken?: boolean;
  /** Send the session's bdstoken in the query when one is known (default false). */
  bdstoken?: boolean;
  /** Whole-call deadline; default timeouts.requestMs. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A decoded answer, not yet judged: errno may be non-zero, status may be an error. */
export interface Reply<T = Record<string, unknown>> {
  endpoint: string;
  status: number;
  headers: ResponseHeaders;
  /** The JSON body; undefined when the body was not JSON. */
  body?: T;
  /** `errno`, else `error_code` (PCS hosts), else 0. */
  errno: number;
  errmsg?: string;
  requestId?: string;
}

export interface SendInit {
  method: 'GET' | 'POST';
  headers: HeaderMap;
  body?: string | FormData;
  /** Follow redirects (downloads); API calls never do. */
  follow?: boolean;
  /** Whole-exchange deadline, including reading the body under the returned signal's watch. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

/** Told about every request to TeraBox, for metrics. Must not throw. */
export interface TransportObserver {
  /** An API call answered (errno as decoded) or failed without an answer (status 0, errno null). */
  call?(e: { endpoint: string; status: number; errno: number | null; seconds: number }): void;
  /** Bytes of one request body sent, and of the response as announced by its Content-Length. */
  bytes?(e: { endpoint: string; up: number; down: number }): void;
}

export interface TransportOptions {
  userAgent: string;
  timeouts: TeraBoxTimeouts;
  maxConnections: number;
  logger: Logger;
  observer?: TransportObserver;
}

/** A request body's size: strings, and FormData fields (Blob parts by their size). */
function bodySize(body: string | FormData | undefined): number {
  if (body === undefined) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  let n = 0;
  for (const v of body.values()) n += typeof v === 'string' ? Buffer.byteLength(v) : v.size;
  return n;
}

/** A response whose body is still to be read, and the signal guarding it. */
export interface Sent {
  res: Dispatcher.ResponseData;
  /** Converts a body-read failure the way send() converts request failures (timeout, network, abort). */
  rethrow: (err: unknown) => never;
}

const REQUEST_ID = /"request_id"\s*:\s*(?:"([^"]*)"|(-?\d+))/;

export class HttpTransport {
  private readonly agent: Agent;
  private readonly follower: Dispatcher;
  readonly userAgent: string;
  private readonly timeouts: TeraBoxTimeouts;
  private readonly logger: Logger;
  private readonly observer?: TransportObserver;

  constructor(opts: TransportOptions) {
    this.userAgent = opts.userAgent;
    this.observer = opts.observer;
    this.timeouts = opts.timeouts;
    this.logger = opts.logger;
    this.agent = new Agent({
      connections: opts.maxConnections,
      connect: { timeout: opts.timeouts.connectMs },
      headersTimeout: opts.timeouts.requestMs,
      bodyTimeout: opts.timeouts.requestMs,
    });
    this.follower = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));
  }

  /**
   * Sends one request. Network errors and timeouts become TRANSIENT TeraBoxErrors (the cause keeps the
   * undici error for isConnectError); an abort by the caller's own signal is rethrown as is.
   */
  async send(endpoint: string, url: URL, init: SendInit): Promise<Sent> {
    const deadline = init.deadlineMs === undefined ? undefined : AbortSignal.timeout(init.deadlineMs);
    const guards = [init.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = guards.length > 1 ? AbortSignal.any(guards) : guards[0];
    const rethrow = (err: unknown): never => {
      if (init.signal?.aborted) throw init.signal.reason;
      if (err instanceof TeraBoxError) throw err;
      if (deadline?.aborted) {
        throw new TeraBoxError(`${endpoint}: no answer within ${init.deadlineMs} ms`, { code: 'TRANSIENT', endpoint, cause: err });
      }
      throw new TeraBoxError(`${endpoint}: network error (${errorCode(err)})`, { code: 'TRANSIENT', endpoint, cause: err });
    };
    try {
      const res = await request(url, {
        dispatcher: init.follow ? this.follower : this.agent,
        method: init.method,
        headers: init.headers,
        body: init.body,
        signal,
        // The deadline governs calls that have one (a part upload may outlast requestMs); streams
        // without one keep the pool's idle timeouts.
        headersTimeout: init.deadlineMs,
        bodyTimeout: init.deadlineMs,
      });
      const down = Number(res.headers['content-length'] ?? 0);
      this.observer?.bytes?.({ endpoint, up: bodySize(init.body), down: Number.isFinite(down) ? down : 0 });
      return { res, rethrow };
    } catch (err) {
      return rethrow(err);
    }
  }

  /** One API exchange, decoded but not judged (see checkReply). */
  async exchange<T = Record<string, unknown>>(req: ApiRequest, session: SessionView): Promise<Reply<T>> {
    const url = new URL(req.endpoint, req.origin ?? session.baseUrl);
    const query: Record<string, string | number | boolean | undefined> = {
      ...(req.common === false ? {} : COMMON_QUERY),
      ...req.query,
    };
    if (req.jsToken !== false && session.jsToken !== undefined) query.jsToken = session.jsToken;
    if (req.bdstoken === true && session.bdstoken !== undefined) query.bdstoken = session.bdstoken;
    url.search = encodeParams(query);

    const headers: HeaderMap = {
      'user-agent': this.userAgent,
      cookie: session.cookie,
      accept: 'application/json, text/plain, */*',
      referer: `${session.baseUrl}/`,
      'x-requested-with': 'XMLHttpRequest',
    };
    let body: string | FormData | undefined;
    if (req.multipart) {
      body = req.multipart();
    } else if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded; charset=UTF-8';
      body = encodeParams(req.form);
    }

    const started = performance.now();
    const noAnswer = (err: unknown): never => {
      this.observer?.call?.({ endpoint: req.endpoint, status: 0, errno: null, seconds: (performance.now() - started) / 1000 });
      throw err;
    };
    const { res, rethrow } = await this.send(req.endpoint, url, {
      method: req.method,
      headers,
      body,
      deadlineMs: req.timeoutMs ?? this.timeouts.requestMs,
      signal: req.signal,
    }).catch(noAnswer);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      return rethrow(err);
    }
    const reply = decodeReply<T>(req.endpoint, res.statusCode, res.headers, text);
    this.observer?.call?.({
      endpoint: req.endpoint,
      status: reply.status,
      errno: reply.errno,
      seconds: (performance.now() - started) / 1000,
    });
    this.logger.debug(
      { endpoint: req.endpoint, status: reply.status, errno: reply.errno, ms: Math.round(performance.now() - started) },
      'terabox: call',
    );
    return reply;
  }

  /** Closes idle connections and waits for in-flight requests, up to `graceMs`, then cuts the rest. */
  async close(graceMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([this.agent.close().then(() => 'closed' as const), grace]);
    clearTimeout(timer);
    if (outcome === 'late') await this.agent.destroy();
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown';
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** Parses an answer; request_id is read from the text so 64-bit ids keep every digit. */
export function decodeReply<T>(endpoint: string, status: number, headers: ResponseHeaders, text: string): Reply<T> {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  const idMatch = REQUEST_ID.exec(text);
  const errmsg = body?.errmsg ?? body?.error_msg;
  return {
    endpoint,
    status,
    headers,
    body: body as T | undefined,
    errno: numeric(body?.errno) ?? numeric(body?.error_code) ?? 0,
    errmsg: typeof errmsg === 'string' ? errmsg : undefined,
    requestId: idMatch ? (idMatch[1] ?? idMatch[2]) : undefined,
  };
}

/**
 * Judges an answer: returns it when the status is 2xx, the body is JSON and errno is 0 or one of
 * `accept`; throws the classified TeraBoxError otherwise.
 */
export function checkReply<T>(reply: Reply<T>, accept: readonly number[] = []): Reply<T> & { body: T } {
  const ok = reply.status >= 200 && reply.status < 300;
  if (ok && reply.body !== undefined && (reply.errno === 0 || accept.includes(reply.errno))) {
    return reply as Reply<T> & { body: T };
  }
  if (ok && reply.body === undefined) {
    throw new TeraBoxError(`${reply.endpoint}: answer is not JSON`, {
      code: 'UNKNOWN',
      status: reply.status,
      endpoint: reply.endpoint,
      requestId: reply.requestId,
    });
  }
  throw failure(reply.endpoint, { errno: reply.errno, errmsg: reply.errmsg, status: reply.status, requestId: reply.requestId });
}
