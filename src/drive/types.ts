// The drive as the WebDAV layer sees it: a file system of paths with metadata, byte-range reads and
// whole-body writes. src/dav depends on this contract only; it never sees TeraBox or the uploader.

import type { Readable } from 'node:stream';

/** A file or collection. Paths are decoded, absolute, `/`-separated, no trailing slash (root is `/`). */
export interface Entry {
  path: string;
  name: string;
  isDir: boolean;
  /** 0 for collections. */
  size: number;
  mtime: Date;
  ctime: Date;
  /** A strong ETag value including its quotes, e.g. `"1a2b3c"`; changes whenever the content does. */
  etag: string;
  /** MIME type for files (derived from the name). */
  contentType?: string;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface ReadResult {
  entry: Entry;
  /** The requested bytes (the range when one was given, the whole file otherwise). */
  stream: Readable;
  /**
   * A consumer done with a piece of `stream` (its bytes written out and flushed) may hand it back here
   * so later reads reuse its memory instead of allocating; optional on both sides.
   */
  recycle?: (piece: Buffer) => void;
}

export interface WriteOptions {
  /** Exact body size when known (Content-Length). */
  size?: number;
  /** Unreliable size hint (X-Expected-Entity-Length). */
  sizeHint?: number;
  signal?: AbortSignal;
}

export interface WriteResult {
  entry: Entry;
  /** True when the path did not exist before (201), false when it was replaced (204). */
  created: boolean;
}

export interface Quota {
  used: number;
  available: number;
}

export type DriveErrorCode =
  | 'NOT_FOUND' // 404
  | 'EXISTS' // 405 for MKCOL, 412 for COPY/MOVE without overwrite
  | 'PARENT_MISSING' // 409
  | 'NOT_A_DIRECTORY' // 409 (a path segment is a file)
  | 'IS_A_DIRECTORY' // 405 (PUT on a collection)
  | 'INVALID_NAME' // 400
  | 'SAME_PATH' // 403 (COPY/MOVE onto itself)
  | 'INTO_ITSELF' // 409 (COPY/MOVE a collection into its own subtree)
  | 'TOO_LARGE' // 413
  | 'QUOTA' // 507
  | 'READ_ONLY' // 403
  | 'ABORTED' // the client went away; nothing to answer
  | 'UPSTREAM' // 502
  | 'UNAVAILABLE'; // 503

export class DriveError extends Error {
  readonly code: DriveErrorCode;
  constructor(code: DriveErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DriveError';
    this.code = code;
  }
}

export function isDriveError(e: unknown, code?: DriveErrorCode): e is DriveError {
  return e instanceof DriveError && (code === undefined || e.code === code);
}

/**
 * The contract every drive keeps (test/drive/contract.test.ts runs one suite against each). Paths are
 * checked first: a malformed one is INVALID_NAME, and any method may fail with READ_ONLY (a write on a
 * read-only drive), ABORTED (the signal fired), UPSTREAM or UNAVAILABLE (the storage failed).
 */
export interface Drive {
  /** Metadata of one path, or null when nothing is there. Served from cache when possible. */
  stat(path: string): Promise<Entry | null>;
  /** The members of a collection (not deeper), each with full metadata. NOT_FOUND, NOT_A_DIRECTORY. */
  list(path: string): Promise<Entry[]>;
  /** Opens a file, optionally an inclusive byte range of it (validated by the caller). NOT_FOUND, IS_A_DIRECTORY. */
  read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<ReadResult>;
  /**
   * Stores a whole body at path, replacing a file there only once the new content is committed
   * (`created` says whether the path was new). PARENT_MISSING (the parent is not there),
   * NOT_A_DIRECTORY (the parent is a file), IS_A_DIRECTORY (a collection, or the root, is there),
   * INVALID_NAME, TOO_LARGE, QUOTA.
   */
  write(path: string, body: Readable, opts?: WriteOptions): Promise<WriteResult>;
  /** EXISTS (anything is there, the root included), PARENT_MISSING, NOT_A_DIRECTORY, INVALID_NAME. */
  mkdir(path: string): Promise<Entry>;
  /** Removes a file or a whole tree. NOT_FOUND; READ_ONLY for the root. */
  remove(path: string): Promise<void>;
  /**
   * Server-side move/rename. With overwrite, an existing destination is replaced (and `created` is
   * false). Checked in this order: SAME_PATH (from = to), EXISTS (to is the root), NOT_FOUND (no
   * source), INTO_ITSELF (a collection into its own subtree), PARENT_MISSING / NOT_A_DIRECTORY (the
   * destination's parent), EXISTS (a destination without overwrite), INTO_ITSELF (replacing the
   * source's own ancestor).
   */
  move(from: string, to: string, opts: { overwrite: boolean }): Promise<{ created: boolean }>;
  /** Server-side copy, with move's checks; depth 0 copies a collection without its members. */
  copy(from: string, to: string, opts: { overwrite: boolean; depth: 0 | 'infinity' }): Promise<{ created: boolean }>;
  quota(): Promise<Quota>;
  close(): Promise<void>;
}
