// Stall detection for request and response bodies. A whole-request timeout would cut long uploads and
// downloads, and a socket idle timeout would also fire while we apply backpressure, commit or wait for
// TeraBox, so the watches only blame the client: no bytes moved although they could have.

import type { IncomingMessage, ServerResponse } from 'node:http';

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
  const timer = setInterval(
    () => {
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
    },
    Math.max(25, Math.floor(idleMs / 4)),
  );
  timer.unref();
  function stop() {
    clearInterval(timer);
  }
  return stop;
}

/**
 * Destroys `req` (and its socket) when the client sends nothing for `idleMs` while the request body is
 * incomplete and its buffer has room. Returns a function that stops watching.
 */
export function watchBodyStall(req: IncomingMessage, idleMs: number): () => void {
  return watchProgress(
    idleMs,
    () =>
      req.complete || req.destroyed
        ? null
        : { bytes: req.socket.bytesRead, clientsTurn: req.readableLength < req.readableHighWaterMark },
    () => req.destroy(new Error(`request body stalled for ${idleMs} ms`)),
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
      !res.socket || res.destroyed || res.writableFinished
        ? null
        : { bytes: res.socket.bytesWritten, clientsTurn: res.writableNeedDrain },
    () => res.destroy(new Error(`the client read nothing for ${idleMs} ms`)),
  );
}
