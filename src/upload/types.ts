// The upload pipeline's contract with the layer above (src/drive): one call per file body.
// No WebDAV knowledge here: paths are remote TeraBox paths, errors are upload error codes.

import type { Readable } from 'node:stream';
import type { RemoteEntry } from '../terabox/api.js';
import type { HeldCommits, LandedListener, PendingCommit } from './write-back.js';

export type { HeldCommits, LandedListener, PendingCommit, PendingState } from './write-back.js';

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

export interface StageRequest extends UploadRequest {
  /**
   * Called once the request passed the per-file limit and spool checks, before the body is read; may
   * throw to refuse it (the drive's quota check). The function it returns is called once staging ends.
   */
  beforeBody?(): Promise<() => void>;
  /** Called with the body's size once it is spooled and hashed, before it is journalled; throw to refuse it. */
  admit?(size: number): void | Promise<void>;
}

export type StageResult =
  /** The body is durable locally (spool fsynced, journal row committed) and queued for TeraBox. */
  { kind: 'staged'; commit: PendingCommit } | { kind: 'empty' };

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

  // ---- write-back (see write-back.ts) ----

  /** Spools, hashes and durably journals a body, queues its commit and returns without waiting for it. */
  stage(req: StageRequest): Promise<StageResult>;
  /** Every queued commit not landed yet (pending, active, failed), in queue order. */
  pendingCommits(): PendingCommit[];
  /** The queued commit at exactly this path. */
  pendingAt(path: string): PendingCommit | undefined;
  /**
   * Drops the queued and journalled commits whose path matches (a DELETE, a newer write), resumed ones
   * of write-through included, waiting for running ones; one whose create was on the wire lands first.
   */
  cancelCommits(match: (path: string, id: number) => boolean, why: string): Promise<void>;
  /** Stops the matching queued commits until the returned hold is released (MOVE, COPY). */
  holdCommits(match: (path: string) => boolean, why: string): Promise<HeldCommits>;
  /** Queues a copy of a pending commit's body at another path (COPY of a pending file). */
  copyCommit(commit: PendingCommit, to: string): Promise<PendingCommit>;
  /** Failed commits are tried again (space may have been freed). */
  retryFailed(): void;
  /** Starts the hashing threads before the first upload needs them (a server does, a test need not). */
  warm(): void;
  /** Told synchronously when a queued commit has landed on TeraBox. */
  onLanded(listener: LandedListener): void;
  /** Resolves once no commit is pending or active. */
  idle(): Promise<void>;
}
