// The state every part of the TeraBox drive shares (TeraBox client, uploader, overlay, listing cache,
// path locks) and the small helpers each part needs to keep the cached listings exact after a change.
// lookup.ts reads the namespace, writes.ts changes it, transfer.ts moves and copies, downloads.ts
// reads bytes; terabox-drive.ts is the facade that puts them together behind the Drive contract.

import type { Database } from 'better-sqlite3';
import { DEFAULTS } from '../defaults.js';
import { silentLogger, type Logger } from '../log.js';
import type { RemoteEntry, TeraBoxApi } from '../terabox/api.js';
import { isTeraBoxError, TeraBoxError } from '../terabox/errors.js';
import { UploadError, type UploadService } from '../upload/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ReadCache } from './cache/index.js';
import { DirCache, type RemoteItem } from './dir-cache.js';
import { entryFromRemote } from './entries.js';
import { toDriveError } from './errors.js';
import { loadEtagger, type Etagger } from './etag.js';
import { junkMatcher } from './junk-names.js';
import { Overlay } from './overlay.js';
import { PathLocks } from './path-locks.js';
import { normalizePath, parentOf } from './paths.js';
import { QuotaCache } from './quota-cache.js';
import { DriveError } from './types.js';

export interface TeraBoxDriveOptions {
  api: TeraBoxApi;
  uploader: UploadService;
  /** The shared local-state DB (see openLocalState); the drive keeps its tables under `drive_`. */
  db: Database;
  /** Where overlay file bytes live. */
  overlayDir: string;
  /** How long a directory listing is trusted (0 = never). Defaults: DRIVE_DEFAULTS, from config/default.json. */
  dirTtlMs?: number;
  /** Most listings kept in memory. */
  maxCachedDirs?: number;
  /** Refresh download links this long before they expire. */
  linkMarginMs?: number;
  /** How long the quota answer is reused. */
  quotaTtlMs?: number;
  /** Base-name patterns (picomatch) kept in the overlay instead of TeraBox. */
  overlayPatterns?: string[];
  readOnly?: boolean;
  /**
   * `write-back`: a PUT is answered once its body is durable locally and committed to TeraBox in the
   * background (see writes.ts). `write-through` (the default here; the app's default is write-back):
   * a PUT is answered once TeraBox holds the file.
   */
  uploadMode?: 'write-back' | 'write-through';
  /** Write-back: bytes not yet on TeraBox past which a new PUT is written through instead. Default: no limit. */
  maxPendingBytes?: number;
  logger?: Logger;
  /** The clock of the caches' TTLs, the overlay's timestamps and the mtimes writes record. Default: the system clock. */
  now?: Clock;
  /** When set (cache.mode full), TeraBox files are read through the block cache. */
  readCache?: ReadCache;
}

/** The `cache.*` settings' defaults (config/default.json), for a drive made without settings. */
export const DRIVE_DEFAULTS = {
  dirTtlMs: DEFAULTS.cache.dirTtlSeconds * 1000,
  maxCachedDirs: DEFAULTS.cache.maxDirs,
  linkMarginMs: DEFAULTS.cache.linkMarginSeconds * 1000,
  quotaTtlMs: DEFAULTS.cache.quotaTtlSeconds * 1000,
} as const;

/** Codes that, coming from TeraBox, mean our cached view of the drive is out of date. */
const STALE_VIEW_CODES = new Set(['NOT_FOUND', 'EXISTS', 'PARENT_MISSING']);

export class DriveCore {
  readonly api: TeraBoxApi;
  readonly uploader: UploadService;
  readonly overlay: Overlay;
  readonly dirs: DirCache;
  readonly quotaCache: QuotaCache;
  readonly locks = new PathLocks();
  readonly isJunk: (name: string) => boolean;
  readonly readOnly: boolean;
  readonly writeBack: boolean;
  readonly maxPendingBytes: number;
  readonly log: Logger;
  readonly now: Clock;
  readonly readCache?: ReadCache;
  closed = false;
  /** PUTs written through because the pending bytes reached maxPendingBytes. */
  backpressured = 0;
  /** Content-Length of write-back PUTs still receiving their body: TeraBox's free space is theirs already. */
  reservedQuota = 0;

  constructor(opts: TeraBoxDriveOptions, loadDir: (dir: string) => Promise<RemoteItem[]>) {
    this.api = opts.api;
    this.uploader = opts.uploader;
    this.readOnly = opts.readOnly ?? false;
    this.writeBack = opts.uploadMode === 'write-back';
    this.maxPendingBytes = opts.maxPendingBytes ?? Number.POSITIVE_INFINITY;
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? systemClock;
    this.readCache = opts.readCache;
    this.isJunk = junkMatcher(opts.overlayPatterns);
    this.overlay = new Overlay(opts.db, opts.overlayDir, this.now);
    this.dirs = new DirCache({
      load: loadDir,
      ttlMs: opts.dirTtlMs ?? DRIVE_DEFAULTS.dirTtlMs,
      maxDirs: opts.maxCachedDirs ?? DRIVE_DEFAULTS.maxCachedDirs,
      now: this.now,
    });
    this.quotaCache = new QuotaCache(() => this.api.quota(), opts.quotaTtlMs ?? DRIVE_DEFAULTS.quotaTtlMs, this.now);
  }

  /** The local modification time a write records (sent to TeraBox as local_mtime), unix seconds. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Bytes of queued commits TeraBox does not hold yet (failed ones included: they still need the space). */
  pendingBytes(): number {
    let n = 0;
    for (const c of this.uploader.pendingCommits()) n += c.size - c.confirmedBytes;
    return n;
  }

  /** Space the queued commits will take on TeraBox when they land (it counts a file at its create). */
  pendingQuotaBytes(): number {
    let n = 0;
    for (const c of this.uploader.pendingCommits()) n += c.size;
    return n;
  }

  async deleteRemote(path: string, opts: { missingOk: boolean }): Promise<void> {
    try {
      await this.api.delete([path]);
    } catch (e) {
      if (!(opts.missingOk && isTeraBoxError(e, 'NOT_FOUND'))) throw e;
    }
    this.dirs.remove(path);
  }

  /** Puts the entry TeraBox now holds at path into its parent's listing (or forgets that listing). */
  async refresh(path: string): Promise<void> {
    try {
      const [remote] = await this.api.stat([path]);
      if (remote) this.remember(remote, await loadEtagger());
      else this.dirs.invalidate(parentOf(path));
    } catch (e) {
      // The operation itself succeeded; only our view of it is unknown.
      this.log.warn({ err: e, path }, 'could not read back a new entry; its directory will be listed again');
      this.dirs.invalidate(parentOf(path));
    }
  }

  remember(remote: RemoteEntry, etag: Etagger): RemoteItem {
    const item = { remote, entry: entryFromRemote(remote, etag) };
    this.dirs.upsert(item);
    return item;
  }

  /**
   * Runs a write. Failures from below become DriveErrors; when TeraBox contradicts our listings (a path
   * we listed is gone, or one we did not list exists), the listings around `paths` are dropped so the
   * next request sees the drive as it really is.
   */
  async guarded<T>(what: string, paths: string[], fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const fromBelow = e instanceof TeraBoxError || e instanceof UploadError;
      const err = toDriveError(e, what);
      if (fromBelow && err instanceof DriveError && STALE_VIEW_CODES.has(err.code)) {
        for (const p of paths) {
          this.dirs.invalidate(parentOf(p));
          this.dirs.invalidate(parentOf(parentOf(p)));
        }
      }
      throw err;
    }
  }

  assertOpen(): void {
    if (this.closed) throw new DriveError('UNAVAILABLE', 'the drive is closed');
  }

  readable(path: string): string {
    this.assertOpen();
    return normalizePath(path);
  }

  writable(path: string): string {
    this.assertOpen();
    if (this.readOnly) throw new DriveError('READ_ONLY', 'the drive is read-only');
    return normalizePath(path);
  }
}
