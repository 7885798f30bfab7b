// Stall detection for request and response bodies. A whole-request timeout would cut long uploads and
// downloads, and a socket idle timeout would also fire while we apply backpressure, commit or wait for
// TeraBox, so the watches only blame the client: no bytes moved although they could have.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** How often progress is sampled: a stall is caught at most this late (a quarter of short limits). */
function pollMs(idleMs: number): number {
  return Math.max(10, Math.min(1000, Math.floor(idleMs / 4)));
}

interface Progress {
  /** Bytes moved so far; any change is progress. */
  bytes: number;
  /** True when the client, not us, is what bytes are waiting for. */
  clientsTurn: boolean;
}

/** Calls onStall once when `probe` shows no progress for `idleMs` on the client's turn; null from probe ends the watch. */
function watchProgress(idleMs: number, probe: () => Progress | null, onStall: () => void): () => void {
  let lastBytes = probe()?.bytes;
  let lastProgress = Date.now();
  const timer = setInterval(() => {
    const p = probe();
    if (p === null) return stop();
    const now = Date.now();
    if (p.bytes !== lastBytes || !p.clientsTurn) {
      lastBytes = p.bytes;
      lastProgress = now;
    } else if (now - lastProgress >= idleMs) {
      stop();
      onStall();
    }
  }, pollMs(idleMs));
  timer.unref();
  function stop() {
    clearInterval(timer);
  }
  return stop;
}

/**
 * Ends the request when the client sends nothing for `idleMs` while the request body is incomplete
 * and its buffer has room: with `res` (not yet answered) the client first gets 408 Request Timeout and
 * the connection closes; the body then fails, so nothing half-sent is kept. Returns a function that
 * stops watching.
 */
export function watchBodyStall(req: IncomingMessage, idleMs: number, res?: ServerResponse): () => void {
  return watchProgress(
    idleMs,
    () =>
      req.complete || req.destroyed ? null : { bytes: req.socket.bytesRead, clientsTurn: req.readableLength < req.readableHighWaterMark },
    () => {
      const err = new Error(`request body stalled for ${idleMs} ms`);
      if (!res || res.headersSent || res.destroyed) return void req.destroy(err);
      const body = `Request Timeout: no part of the request body arrived for ${Math.round(idleMs / 1000)} s\n`;
      res.once('finish', () => req.destroy(err));
      res.writeHead(408, { Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    },
  );
}

/**
 * Destroys `res` when the client reads nothing for `idleMs` while the response waits for it to drain:
 * a reader that stopped without closing would otherwise hold the drive's read (a TeraBox connection)
 * for ever. Returns a function that stops watching.
 */
export function watchResponseStall(res: ServerResponse, idleMs: number): () => void {
  return watchProgress(
    idleMs,
    () =>
      !res.socket || res.destroyed || res.writableFinished ? null : { bytes: res.socket.bytesWritten, clientsTurn: res.writableNeedDrain },
    () => res.destroy(new Error(`the client read nothing for ${idleMs} ms`)),
  );
}
