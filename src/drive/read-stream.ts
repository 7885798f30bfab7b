// The bytes of a download as the WebDAV layer receives them: a failure of the upstream body after
// the read was opened (TeraBox cut the connection, a body timeout) surfaces as a DriveError like
// every other drive failure, not as a raw socket error the layer above cannot tell from a bug.

import { PassThrough, type Readable } from 'node:stream';
import { toDriveError } from './errors.js';
import { DriveError } from './types.js';

export function withDriveErrors(source: Readable, what: string, signal?: AbortSignal): Readable {
  const out = new PassThrough();
  source.once('error', (e: Error) => {
    const mapped = toDriveError(e, what);
    out.destroy(
      mapped instanceof DriveError
        ? mapped
        : signal?.aborted
          ? new DriveError('ABORTED', `${what}: aborted`, e)
          : new DriveError('UPSTREAM', `${what}: the download broke off: ${e.message}`, e),
    );
  });
  // A reader that stops early (the client went away) must release the upstream connection.
  out.once('close', () => source.destroy());
  source.pipe(out);
  return out;
}
