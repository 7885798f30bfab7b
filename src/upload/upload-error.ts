// Turns whatever an upload step threw into the UploadError the layer above maps to a status, in one
// table. Errors that are none of ours (bugs, unexpected fs failures) pass through unchanged.

import { TeraBoxError } from '../terabox/errors.js';
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
  switch (e.code) {
    case 'QUOTA':
      return as('QUOTA', `not enough space on TeraBox for ${path}`);
    case 'FILE_TOO_LARGE':
      return as('TOO_LARGE', `${path} is over this account's per-file size limit`);
    case 'INVALID_NAME':
      return as('INVALID_NAME', `TeraBox refused the name ${path}`);
    case 'NOT_FOUND':
      return as('PARENT_MISSING', `the parent folder of ${path} does not exist on TeraBox`);
    case 'AUTH_EXPIRED':
    case 'TOKEN_EXPIRED':
      return as('UNAVAILABLE', 'the TeraBox session has expired; the cookie must be renewed');
    case 'RATE_LIMITED':
      return as('UNAVAILABLE', 'TeraBox is rate limiting this account; try again later');
    case 'TRANSIENT':
      return e.status === undefined
        ? as('UNAVAILABLE', `TeraBox could not be reached while uploading ${path}`)
        : as('UPSTREAM', `TeraBox kept failing while uploading ${path}`);
    default:
      return as('UPSTREAM', `TeraBox refused the upload of ${path}`);
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
