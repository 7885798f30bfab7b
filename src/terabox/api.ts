// The TeraBox account as the layers above see it: file-system terms, no wire format.
// src/upload and src/drive depend on this interface only; src/terabox/client.ts implements it.

import type { Readable } from 'node:stream';
import type { Rtype } from './wire.js';

/** A file or directory on TeraBox, normalised from the wire item. */
export interface RemoteEntry {
  fsId: number;
  /** Absolute remote path, `/` separated, no trailing slash (the root is `/`). */
  path: string;
  name: string;
  isDir: boolean;
  size: number;
  /** Server modification / creation time, unix seconds. */
  mtime: number;
  ctime: number;
  /**
   * The server's plain-hex md5: the content MD5 for one-part files, md5(JSON(block list)) for
   * multi-part files (protocol §3.2). Fine as an ETag source, not a content checksum.
   */
  md5?: string;
  category?: number;
  /** The client's modification time recorded at upload (`local_mtime`), unix seconds, when listed. */
  localMtime?: number;
}

export interface Quota {
  total: number;
  used: number;
  /** Computed as total - used (the server's `free` is unreliable, §2.6). */
  free: number;
}

export interface AccountInfo {
  uk?: number;
  vip: boolean;
  /** Per-file size limit for this account (free 4 GiB, premium larger). */
  maxFileSize: number;
}

export interface PrecreateRequest {
  path: string;
  size: number;
  /** Block MD5s (real) or the placeholder list; the client sends what it is given. */
  blockList: string[];
  /** Resume an upload the server already knows. */
  uploadId?: string;
  localMtime?: number;
  contentMd5?: string;
  sliceMd5?: string;
  contentCrc32?: number;
  rtype?: Rtype;
}

export interface PrecreateResult {
  uploadId: string;
  /** 1 = upload needed, 2 = the server already has the whole content (rapid upload). */
  returnType: number;
  /** 0-based partseqs the server still needs. */
  needed: number[];
  /** The committed entry, when the server created the file at precreate (return_type 2 with info). */
  entry?: RemoteEntry;
}

export interface UploadPartRequest {
  path: string;
  uploadId: string;
  partseq: number;
  /** The part's bytes. A file-backed Blob (fs.openAsBlob(...).slice()) keeps memory flat. */
  data: Blob;
  signal?: AbortSignal;
}

export interface UploadPartResult {
  /** The MD5 of the part as the server computed it (plain hex). */
  md5: string;
}

export interface CreateRequest {
  path: string;
  size: number;
  uploadId: string;
  /** Every part's MD5, in order. */
  blockList: string[];
  rtype: Rtype;
  localMtime?: number;
}

export interface RapidUploadRequest {
  path: string;
  size: number;
  contentMd5: string;
  sliceMd5: string;
  contentCrc32?: number;
  blockList?: string[];
  rtype: Rtype;
  localMtime?: number;
}

export interface MoveItem {
  /** Source path. */
  path: string;
  /** Destination directory. */
  dest: string;
  /** Name inside dest. */
  newname: string;
}

export interface TransferOptions {
  /** Replace a file already at the destination (TeraBox's ondup=overwrite); without it such an item fails with EXISTS. */
  overwrite?: boolean;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface DownloadLink {
  url: string;
  /** When the link stops working, ms since the epoch (a conservative estimate). */
  expiresAt: number;
  /** Headers the link must be fetched with (the same User-Agent that minted it, §1.4). */
  headers: Record<string, string>;
  /** The file's remote path, so the client can switch it to another download route (400141, §7). */
  path?: string;
}

export interface DownloadResponse {
  /** 200 or 206. */
  status: number;
  /** Bytes in this body. */
  length: number;
  /** Size of the whole file (from Content-Range or Content-Length). */
  totalSize: number;
  /** Whole-file MD5 and CRC32 when the server sent them (`content-md5`, `x-bs-meta-crc32`). */
  contentMd5?: string;
  crc32?: number;
  body: Readable;
}

export interface TeraBoxApi {
  /** Checks the cookie (/api/check/login) and reads the account's plan. */
  account(): Promise<AccountInfo>;
  quota(): Promise<Quota>;

  /**
   * Throws TeraBoxError INVALID_NAME, without a request, when TeraBox would refuse a name in `path`
   * (errno -7): a character it does not allow, or a name over 255 UTF-8 bytes.
   */
  checkPath(path: string): void;

  /** Every entry of a directory (all pages). NOT_FOUND if it does not exist. */
  list(dir: string): Promise<RemoteEntry[]>;
  /** Metadata for paths; null where a path does not exist. */
  stat(paths: string[]): Promise<(RemoteEntry | null)[]>;

  mkdir(path: string): Promise<RemoteEntry>;
  /** Deletes paths (batches of at most 100, each item's errno checked). */
  delete(paths: string[]): Promise<void>;
  move(items: MoveItem[], opts?: TransferOptions): Promise<void>;
  copy(items: MoveItem[], opts?: TransferOptions): Promise<void>;
  rename(items: { path: string; newname: string }[]): Promise<void>;

  precreate(req: PrecreateRequest): Promise<PrecreateResult>;
  /** One attempt: the caller retries a failed part (it must compare the returned md5 anyway). */
  uploadPart(req: UploadPartRequest): Promise<UploadPartResult>;
  /** Commits an upload; the returned md5 is already decoded to plain hex. */
  create(req: CreateRequest): Promise<RemoteEntry>;
  /** Hash-only upload. Resolves null when the server does not have the content (404/413). */
  rapidUpload(req: RapidUploadRequest): Promise<RemoteEntry | null>;

  /** A download link for a file (cached by the caller, not here). */
  downloadLink(entry: Pick<RemoteEntry, 'fsId' | 'path'>): Promise<DownloadLink>;
  /** Fetches a download link, following redirects, optionally a byte range. */
  download(link: DownloadLink, range?: ByteRange, signal?: AbortSignal): Promise<DownloadResponse>;

  close(): Promise<void>;
}
