// The upload pipeline's contract with the layer above (src/drive): one call per file body.
// No WebDAV knowledge here: paths are remote TeraBox paths, errors are upload error codes.

import type { Readable } from 'node:stream';
import type { RemoteEntry } from '../terabox/api.js';

export interface UploadRequest {
  /** Remote destination path (its parent must exist). */
  path: string;
  body: Readable;
  /** Exact size when known in advance (Content-Length): checked against the per-file limit before reading. */
  size?: number;
  /** A size hint that may be wrong (X-Expected-Entity-Length); picks the block size, never trusted for commit. */
  sizeHint?: number;
  /** Local modification time to record, unix seconds. */
  mtime?: number;
  /** Aborts the upload (client went away): nothing is committed, the spool is removed. */
  signal?: AbortSignal;
}

export type UploadResult =
  /** The file is on TeraBox. `rapid`: no part had to be sent. */
  | { kind: 'committed'; entry: RemoteEntry; rapid: boolean; partsSent: number }
  /** The body was empty: nothing was sent upstream (TeraBox does not hold 0-byte files). */
  | { kind: 'empty' };

export type UploadErrorCode =
  | 'TOO_LARGE' // over the account's per-file limit (HTTP 413)
  | 'QUOTA' // not enough space (HTTP 507)
  | 'INVALID_NAME' // TeraBox refused the name (HTTP 400)
  | 'PARENT_MISSING' // HTTP 409
  | 'ABORTED' // the body ended early or the signal fired
  | 'UPSTREAM' // TeraBox failed after retries (HTTP 502)
  | 'UNAVAILABLE' // TeraBox unreachable / rate limited / auth expired (HTTP 503)
  | 'INTEGRITY'; // the server's md5 never matched ours (HTTP 502)

export class UploadError extends Error {
  readonly code: UploadErrorCode;
  constructor(code: UploadErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UploadError';
    this.code = code;
  }
}

/** What start-up recovery did with one journalled commit. */
export interface ResumeOutcome {
  path: string;
  status: 'committed' | 'failed' | 'discarded';
  partsSent: number;
  error?: string;
}

export interface UploadService {
  upload(req: UploadRequest): Promise<UploadResult>;
  /** Finishes every journalled commit whose spool is complete; called once at start-up. */
  resumePending(): Promise<ResumeOutcome[]>;
  /** Waits for in-flight commits to settle (or abandons them), closes the journal. */
  close(): Promise<void>;
}
