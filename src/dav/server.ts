// The WebDAV handler and server: authentication, path decoding, preconditions and method dispatch,
// with every failure turned into a status (never a crash, never a hang) and one log line per request.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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
    logger,
  };
  const authenticate = createAuthenticator({ users: opts.users ?? [], allowAnonymous: opts.allowAnonymous });
  const hasUsers = (opts.users ?? []).length > 0;

  async function serve(req: IncomingMessage, res: ServerResponse, continuePending: boolean, signal: AbortSignal): Promise<void> {
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
    } else if (isDriveError(err)) {
      dav = driveErrorToDav(err.code, method, err.message);
      if (dav.status >= 500) logger.warn({ method, url: req.url, code: err.code, err: err.message }, 'drive failure');
    } else {
      logger.error({ method, url: req.url, err }, 'unexpected error while serving a request');
      dav = new DavError(500, 'Internal server error');
    }
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
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  return server;
}
