// Request-body stall detection. A whole-request timeout would cut long uploads, and a socket idle
// timeout would also fire while we apply backpressure or commit, so the watch only blames the client:
// no bytes arrived although we had room for them.

import type { IncomingMessage } from 'node:http';

/**
 * Destroys `req` (and its socket) when the client sends nothing for `idleMs` while the request body is
 * incomplete and its buffer has room. Returns a function that stops watching.
 */
export function watchBodyStall(req: IncomingMessage, idleMs: number): () => void {
  const socket = req.socket;
  let lastBytes = socket.bytesRead;
  let lastProgress = Date.now();
  const timer = setInterval(
    () => {
      if (req.complete || req.destroyed) return stop();
      const now = Date.now();
      if (socket.bytesRead !== lastBytes || req.readableLength >= req.readableHighWaterMark) {
        lastBytes = socket.bytesRead;
        lastProgress = now;
      } else if (now - lastProgress >= idleMs) {
        stop();
        req.destroy(new Error(`request body stalled for ${idleMs} ms`));
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
