// The WebDAV handler and server: authentication, path decoding, preconditions and method dispatch,
// with every failure turned into a status (never a crash, never a hang) and one log line per request.

import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Database } from 'better-sqlite3';
import { isDriveError, type Drive } from '../drive/types.js';
import { silentLogger, type Logger } from '../log.js';
import { createAuthenticator, isPublicMethod, type DavUser } from './auth.js';
import { RequestContext, type DavServices } from './context.js';
import { DeadPropStore } from './dead-props.js';
import { SqliteLockStore, type LockStore } from './locks.js';
import { handleCopyMove } from './methods/copy-move.js';
import { handleDelete } from './methods/delete.js';
import { handleGet } from './methods/get.js';
import { handleLock, handleUnlock } from './methods/lock.js';
import { handleMkcol } from './methods/mkcol.js';
import { capabilityHeaders, isWriteMethod, sendOptions } from './methods/options.js';
import { handlePropfind } from './methods/propfind.js';
import { handleProppatch } from './methods/proppatch.js';
import { handlePut } from './methods/put.js';
import { decodeRequestTarget } from './paths.js';
import { checkPreconditions } from './preconditions.js';
import { sendEmpty, sendError } from './respond.js';
import { DavError, driveErrorToDav } from './status.js';
import { handleWellKnown, isWellKnownPath, type DavMetrics } from './well-known.js';
import type { DriveStatus } from '../drive/status.js';

export interface DavOptions {
  drive: Drive;
  /** The shared local-state database (better-sqlite3); the layer keeps its tables there (`dav_*`). */
  db: Database;
  users?: DavUser[];
  /** Allow requests without credentials — honoured only when no users exist and on loopback. */
  allowAnonymous: boolean;
  readOnly?: boolean;
  /** Cap for XML request bodies (PROPFIND, PROPPATCH, LOCK); default 1 MiB. */
  maxXmlBodyBytes?: number;
  /** Longest lock a client can get (Infinite included); default one day. */
  lockMaxTimeoutSeconds?: number;
  /** A client that stops sending its request body, or reading a response, for this long is dropped; default 2 minutes. */
  bodyIdleTimeoutMs?: number;
  /**
   * The drive's public URL behind a reverse proxy (e.g. `https://dav.example.com/`). A MOVE or COPY
   * Destination must name the request's own Host or this URL's authority; anything else is 502.
   */
  publicUrl?: string;
  /** Most resources a PROPFIND with Depth: infinity lists; above it, 403 propfind-finite-depth. Default 10,000. */
  propfindMaxEntries?: number;
  /** Replaces the SQLite lock store (e.g. one shared by several servers). */
  lockStore?: LockStore;
  /** The status snapshot served at /.well-known/terabox-webdav/status.json. */
  status?: () => Promise<DriveStatus>;
  /** Request counts and durations, and the text served at /.well-known/terabox-webdav/metrics. */
  metrics?: DavMetrics;
  logger?: Logger;
}

type MethodHandler = (ctx: RequestContext) => Promise<void>;

/** Every method but OPTIONS, which is answered before the path is read (sendOptions). */
const HANDLERS: Record<string, MethodHandler> = {
  GET: handleGet,
  HEAD: handleGet,
  PUT: handlePut,
  DELETE: handleDelete,
  MKCOL: handleMkcol,
  COPY: handleCopyMove,
  MOVE: handleCopyMove,
  PROPFIND: handlePropfind,
  PROPPATCH: handleProppatch,
  LOCK: handleLock,
  UNLOCK: handleUnlock,
};

/** Methods HTTP defines that this server does not offer: 405 rather than 501. */
const KNOWN_UNSUPPORTED = new Set(['POST', 'PATCH', 'TRACE', 'CONNECT']);

const REALM = 'Basic realm="terabox-webdav", charset="UTF-8"';

type Handle = (req: IncomingMessage, res: ServerResponse, continuePending: boolean) => void;

/** What each connection had counted when its last request ended. */
const counted = new WeakMap<Socket, { read: number; written: number }>();

/**
 * The bytes a connection moved since its previous request ended, headers included. Keep-alive requests
 * on a connection run one after another, so this is the request that just ended (plus any bytes the
 * next one had already sent), and over all requests the sums are the wire's.
 */
function wireBytes(socket: Socket): { bytesIn: number; bytesOut: number } {
  const last = counted.get(socket) ?? { read: 0, written: 0 };
  const now = { read: socket.bytesRead, written: socket.bytesWritten };
  counted.set(socket, now);
  return { bytesIn: Math.max(0, now.read - last.read), bytesOut: Math.max(0, now.written - last.written) };
}

function buildHandler(opts: DavOptions): Handle {
  const logger = opts.logger ?? silentLogger;
  const services: DavServices = {
    drive: opts.drive,
    deadProps: new DeadPropStore(opts.db),
    locks: opts.lockStore ?? new SqliteLockStore(opts.db),
    readOnly: opts.readOnly ?? false,
    maxXmlBodyBytes: opts.maxXmlBodyBytes ?? 1024 * 1024,
    lockMaxTimeoutSeconds: opts.lockMaxTimeoutSeconds ?? 86_400,
    bodyIdleTimeoutMs: opts.bodyIdleTimeoutMs ?? 120_000,
    status: opts.status,
    publicAuthority: publicAuthority(opts.publicUrl),
    propfindMaxEntries: opts.propfindMaxEntries ?? 10_000,
    logger,
  };
  const authenticate = createAuthenticator({ users: opts.users ?? [], allowAnonymous: opts.allowAnonymous });
  const hasUsers = (opts.users ?? []).length > 0;

  async function serve(req: IncomingMessage, res: ServerResponse, continuePending: boolean, signal: AbortSignal): Promise<void> {
    checkRequestFraming(req);
    const method = (req.method ?? '').toUpperCase();
    // With users, OPTIONS is answered to anyone and its credentials are not even checked.
    if (hasUsers && isPublicMethod(method)) return sendOptions(req, res, services.readOnly);
    const auth = await authenticate(req);
    if (!auth.ok && auth.busy) {
      return sendError(req, res, new DavError(503, 'Too many logins are being checked; retry shortly'), { 'Retry-After': '1' });
    }
    if (!auth.ok) {
      return sendError(req, res, new DavError(401, 'Authentication required'), { 'WWW-Authenticate': REALM });
    }
    // The same answer for every path, never looked up: the drive is not touched.
    if (method === 'OPTIONS') return sendOptions(req, res, services.readOnly);
    const handler = HANDLERS[method];
    if (!handler) {
      const status = KNOWN_UNSUPPORTED.has(method) ? 405 : 501;
      return sendError(req, res, new DavError(status, `${method} is not supported`), capabilityHeaders(services.readOnly));
    }
    if (services.readOnly && isWriteMethod(method)) throw new DavError(403, 'The server is read-only');
    // `*` names the server, not a resource: only OPTIONS may ask about it (RFC 9112 §3.2.4).
    if (req.url === '*' && method !== 'OPTIONS') throw new DavError(400, `${method} * is not a request for a resource`);
    const target = decodeRequestTarget(req.url ?? '/');
    if (isWellKnownPath(target.path)) return handleWellKnown(req, res, target, { status: opts.status, metrics: opts.metrics });
    const ctx = new RequestContext({ req, res, target, user: auth.user, services, signal, continuePending });
    if ((await checkPreconditions(ctx)) === 304) {
      const entry = await ctx.targetState();
      return sendEmpty(req, res, 304, entry ? { ETag: entry.etag, 'Last-Modified': entry.mtime.toUTCString() } : {});
    }
    await handler(ctx);
  }

  function fail(req: IncomingMessage, res: ServerResponse, err: unknown, clientGone: boolean): void {
    const method = (req.method ?? '').toUpperCase();
    if (clientGone || isDriveError(err, 'ABORTED')) {
      res.destroy();
      return;
    }
    let dav: DavError;
    if (err instanceof DavError) {
      dav = err;
    } else if (isDiskFull(err)) {
      // Any local-state write (dead properties, locks, overlay rows) on a full disk: RFC 4918 §11.5.
      logger.warn({ method, url: req.url, err: (err as Error).message }, 'local state: disk full');
      dav = new DavError(507, 'The server has no room left on its disk for this change');
    } else if (isDriveError(err)) {
      dav = driveErrorToDav(err.code, method, err.message);
      if (dav.status >= 500) logger.warn({ method, url: req.url, code: err.code, err: err.message }, 'drive failure');
    } else {
      logger.error({ method, url: req.url, err }, 'unexpected error while serving a request');
      dav = new DavError(500, 'Internal server error');
    }
    // Already answered in full (a stalled body got its 408): nothing is left to say.
    if (res.writableEnded) return;
    if (res.headersSent) {
      // The status is already on the wire; cutting the connection is the only honest signal left.
      res.destroy();
      return;
    }
    sendError(req, res, dav);
  }

  return (req, res, continuePending) => {
    const started = performance.now();
    const socket = req.socket;
    trackResponse(req, res);
    const aborter = new AbortController();
    // Errors on either stream mean the client went away; they are handled through `aborter`.
    req.on('error', () => aborter.abort());
    res.on('error', () => aborter.abort());
    res.once('close', () => {
      if (!res.writableFinished) aborter.abort();
      const status = aborter.signal.aborted ? 499 : res.statusCode;
      const ms = performance.now() - started;
      logger.debug({ method: req.method, url: req.url, status, ms: Math.round(ms) }, 'request');
      opts.metrics?.requestEnded({
        method: (req.method ?? '').toUpperCase(),
        status,
        seconds: ms / 1000,
        ...wireBytes(socket),
      });
    });
    serve(req, res, continuePending, aborter.signal).catch((err: unknown) => {
      try {
        fail(req, res, err, aborter.signal.aborted);
      } catch (e) {
        logger.error({ err: e }, 'failed to answer a failed request');
        res.destroy();
      }
    });
  };
}

/** The request listener, for mounting on a server of your own (there Node answers Expect: 100-continue before it runs). */
export function createDavHandler(opts: DavOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = buildHandler(opts);
  return (req, res) => handle(req, res, false);
}

/**
 * An HTTP server serving the drive. No whole-request timeout (uploads may take hours; stalled bodies
 * are caught by the idle watch instead), and 100-continue is decided by the handler, so a PUT that
 * will fail is refused before its body is sent.
 */
export function createDavServer(opts: DavOptions): http.Server {
  const handle = buildHandler(opts);
  const server = http.createServer((req, res) => handle(req, res, false));
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));
  server.on('clientError', answerClientError);
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  return server;
}

/** The authority (`host[:port]`, lower case, default port dropped) of a configured public URL. */
function publicAuthority(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`server.publicUrl ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`server.publicUrl must be http(s): ${url}`);
  return parsed.host.toLowerCase();
}

/** True for SQLite's "database or disk is full" (better-sqlite3 throws SqliteError with this code). */
function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}

/**
 * Request framing Node's parser lets through but HTTP forbids or we cannot honour: several Host
 * headers (RFC 9112 §3.2: 400), a transfer coding other than chunked (RFC 9112 §6.1: 501, since
 * storing the coded bytes would store the wrong file), and an absolute-form target, whose authority
 * replaces Host (RFC 9112 §3.2.2) so every check (the anonymous-loopback one included) sees it.
 */
function checkRequestFraming(req: IncomingMessage): void {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) throw new DavError(400, 'More than one Host header');
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') {
    throw new DavError(501, `Transfer-Encoding ${JSON.stringify(te)} is not supported (only chunked)`);
  }
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(req.url ?? '')?.[1];
  if (authority !== undefined) {
    if (authority === '' || authority.includes('@')) throw new DavError(400, 'Bad authority in the request target');
    req.headers.host = authority;
  }
}

const ACTIVE = Symbol('activeResponse');
type TrackedSocket = Duplex & { [ACTIVE]?: { req: IncomingMessage; res: ServerResponse } };

/** Remembers the response a socket is writing, so a parse error after its request waits for it. */
function trackResponse(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket as TrackedSocket;
  const active = { req, res };
  socket[ACTIVE] = active;
  res.once('close', () => {
    if (socket[ACTIVE] === active) delete socket[ACTIVE];
  });
}

/**
 * Bytes after a complete request that are no request (lftp sends a stray header block after a
 * PROPPATCH body) must not cost that request its answer: the answer in flight goes out first, then
 * the garbage gets its 400 and the connection closes.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A reset or a socket error is the client going away: nothing to answer, and the request in flight
  // must see its connection close.
  if (!err.code?.startsWith('HPE_') && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') return void socket.destroy();
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  const body = `${reason}: what was sent is not a well-formed HTTP request (${err.code})\n`;
  const answer = `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const reject = () => {
    if (!socket.writable) return void socket.destroy();
    socket.end(answer);
    // A client that never reads the answer must not hold the socket.
    setTimeout(() => socket.destroy(), 5000).unref();
  };
  const active = (socket as TrackedSocket)[ACTIVE];
  // The error is inside the request in flight (its body was cut short): it cannot be answered.
  if (active && !active.req.complete) {
    socket.destroy();
    return;
  }
  const pending = active?.res;
  if (!pending || pending.writableEnded) {
    reject();
    return;
  }
  // The request in flight is answered first: the 400 is queued on the socket right behind the last
  // byte of that answer, before Node could end or reuse the connection.
  pending.shouldKeepAlive = false;
  const end = pending.end.bind(pending) as (...args: unknown[]) => ServerResponse;
  pending.end = ((...args: unknown[]) => {
    const result = end(...args);
    reject();
    return result;
  }) as typeof pending.end;
  pending.once('close', () => {
    if (!pending.writableEnded) socket.destroy();
  });
}
