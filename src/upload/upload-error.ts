// Turns whatever an upload step threw into the UploadError the layer above maps to a status, through
// the one table of what TeraBox failures mean (terabox/errors.ts failureMeaning). Errors that are none
// of ours (bugs, unexpected fs failures) pass through unchanged.

import { TeraBoxError, failureMeaning, isUnreachable } from '../terabox/errors.js';
import { UploadError, type UploadErrorCode } from './types.js';

/** An error raised by an aborted signal or by a stream torn down by one. */
function isAbortError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'ABORT_ERR';
}

function upstreamDetail(e: TeraBoxError): string {
  const parts = [e.endpoint];
  if (e.status !== undefined) parts.push(`HTTP ${e.status}`);
  if (e.errno !== undefined) parts.push(`errno ${e.errno}`);
  return `${parts.join(', ')}: ${e.message}`;
}

function fromTeraBox(e: TeraBoxError, path: string): UploadError {
  const detail = upstreamDetail(e);
  const as = (code: UploadErrorCode, message: string) => new UploadError(code, `${message} (${detail})`, e);
  const meaning = failureMeaning(e);
  switch (meaning) {
    case 'QUOTA':
      return as('QUOTA', `not enough space on TeraBox for ${path}`);
    case 'TOO_LARGE':
      return as('TOO_LARGE', `${path} is over this account's per-file size limit`);
    case 'INVALID_NAME':
      return as('INVALID_NAME', `TeraBox refused the name ${path}`);
    // In an upload, the only thing that can be missing is the folder the file goes into.
    case 'NOT_FOUND':
      return as('PARENT_MISSING', `the parent folder of ${path} does not exist on TeraBox`);
    case 'UNAVAILABLE':
      if (isUnreachable(e)) return as('UNAVAILABLE', `TeraBox could not be reached while uploading ${path}`);
      if (e.code === 'RATE_LIMITED') return as('UNAVAILABLE', 'TeraBox is rate limiting this account; try again later');
      return as('UNAVAILABLE', 'the TeraBox session has expired; the cookie must be renewed');
    default:
      return e.code === 'TRANSIENT'
        ? as('UPSTREAM', `TeraBox kept failing while uploading ${path}`)
        : as('UPSTREAM', `TeraBox refused the upload of ${path}`);
  }
}

/** The UploadError for `e` raised while uploading `path`; unknown errors are returned as they are. */
export function toUploadError(e: unknown, path: string): unknown {
  if (e instanceof UploadError) return e;
  if (e instanceof TeraBoxError) return fromTeraBox(e, path);
  if (isAbortError(e)) return new UploadError('ABORTED', `the upload of ${path} was aborted`, e);
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new UploadError('QUOTA', `the local spool disk is full; ${path} was not uploaded`, e);
  }
  return e;
}
