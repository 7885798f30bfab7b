// Failures from below (TeraBox calls, the uploader, local disk) turned into DriveErrors, so the WebDAV
// layer's status mapping sees one vocabulary. What a TeraBox failure means is decided once, in
// terabox/errors.ts (failureMeaning); the uploader maps through the same table.

import { TeraBoxError, failureMeaning } from '../terabox/errors.js';
import { UploadError, type UploadErrorCode } from '../upload/types.js';
import { DriveError, type DriveErrorCode } from './types.js';

const FROM_UPLOAD: Record<UploadErrorCode, DriveErrorCode> = {
  TOO_LARGE: 'TOO_LARGE',
  QUOTA: 'QUOTA',
  INVALID_NAME: 'INVALID_NAME',
  PARENT_MISSING: 'PARENT_MISSING',
  ABORTED: 'ABORTED',
  UPSTREAM: 'UPSTREAM',
  UNAVAILABLE: 'UNAVAILABLE',
  INTEGRITY: 'UPSTREAM',
};

/** Local file-system errno codes that mean "no space" (507 for the client) rather than a bug. */
const FROM_FS = new Map<string, DriveErrorCode>([
  ['ENOSPC', 'QUOTA'],
  ['EDQUOT', 'QUOTA'],
]);

/**
 * The DriveError for e, with `what` (e.g. "move /a to /b") prefixed to the message. Errors nobody
 * classified (programming errors) are returned unchanged, so they surface as 500s instead of being
 * disguised as upstream failures. Messages below are already free of secrets (the client's contract).
 */
export function toDriveError(e: unknown, what: string): unknown {
  if (e instanceof DriveError) return e;
  if (e instanceof TeraBoxError) return new DriveError(failureMeaning(e), `${what}: ${e.message}`, e);
  if (e instanceof UploadError) return new DriveError(FROM_UPLOAD[e.code], `${what}: ${e.message}`, e);
  if (e instanceof Error && e.name === 'AbortError') return new DriveError('ABORTED', `${what}: aborted`, e);
  const fsCode = (e as NodeJS.ErrnoException | null)?.code;
  const fsMeaning = fsCode === undefined ? undefined : FROM_FS.get(fsCode);
  if (fsMeaning !== undefined) return new DriveError(fsMeaning, `${what}: local storage: ${fsCode}`, e);
  return e;
}

/** Runs fn and rethrows whatever it throws as a DriveError where one applies. */
export async function mapErrors<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toDriveError(e, what);
  }
}
