// The PUT body as handed to the drive: 100 Continue is sent only when the drive first asks for data,
// so a write the drive refuses up front (413 from Content-Length, quota) is answered before the client
// sends a byte of its body.

import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

class ContinueOnFirstRead extends Readable {
  private readonly source: IncomingMessage;
  private readonly onFirstRead: () => void;
  private started = false;

  constructor(source: IncomingMessage, onFirstRead: () => void) {
    super();
    this.source = source;
    this.onFirstRead = onFirstRead;
  }

  override _read(): void {
    if (this.started) {
      this.source.resume();
      return;
    }
    this.started = true;
    // A client that gave up waiting for 100 Continue is gone before the listeners below exist; its
    // 'close' has fired already, so without this the reader would wait for a body that never comes.
    if (this.source.destroyed && !this.source.complete) {
      this.destroy(new Error('the client went away before sending the upload'));
      return;
    }
    this.source.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.source.pause();
    });
    this.source.once('end', () => this.push(null));
    this.source.once('error', (err) => this.destroy(err));
    this.source.once('close', () => {
      if (!this.source.complete) this.destroy(new Error('the client went away during the upload'));
    });
    this.onFirstRead();
  }
}

/** The request body as a stream that calls `onFirstRead` (which sends 100 Continue) when first read. */
export function continueOnFirstRead(req: IncomingMessage, onFirstRead: () => void): Readable {
  return new ContinueOnFirstRead(req, onFirstRead);
}
