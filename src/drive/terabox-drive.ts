// The Drive over TeraBox: path lookups from the listing cache, reads through cached download links,
// bodies through the uploader, 0-byte and OS-junk files in the local overlay, and move/copy done
// server-side by /api/filemanager. Every write patches the cached listings (read-after-write).

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import { DEFAULTS } from '../defaults.js';
import { silentLogger, type Logger } from '../log.js';
import type { DownloadLink, RemoteEntry, TeraBoxApi } from '../terabox/api.js';
import { isTeraBoxError, TeraBoxError } from '../terabox/errors.js';
import { UploadError, type ResumeOutcome, type UploadService } from '../upload/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import { DirCache, type Listing, type RemoteItem } from './dir-cache.js';
import { entryFromOverlay, entryFromRemote, rootEntry } from './entries.js';
import { mapErrors, toDriveError } from './errors.js';
import { loadEtagger, type Etagger } from './etag.js';
import { junkMatcher } from './junk-names.js';
import { LinkCache } from './link-cache.js';
import { Overlay, type OverlayRow } from './overlay.js';
import { PathLocks } from './path-locks.js';
import { baseName, isStrictlyUnder, joinPath, normalizePath, parentOf, ROOT } from './paths.js';
import { QuotaCache } from './quota-cache.js';
import { withDriveErrors } from './read-stream.js';
import type { ReadCache } from './cache/index.js';
import {
  DriveError,
  type ByteRange,
  type Drive,
  type Entry,
  type Quota,
  type ReadResult,
  type WriteOptions,
  type WriteResult,
} from './types.js';

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
  logger?: Logger;
  /** The clock of the caches' TTLs and the overlay's timestamps. Default: the system clock. */
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

/** What is at a path: the entry shown, and each kind of thing stored there. */
interface Located {
  entry: Entry;
  /** The entry shown comes from the overlay. */
  local: boolean;
  /** The TeraBox entry at the path (present even when a newer overlay row shadows it). */
  remote?: RemoteEntry;
  /** The overlay row at the path (present even when a newer TeraBox entry shadows it). */
  row?: OverlayRow;
}

type Ondup = 'fail' | 'overwrite';

export class TeraBoxDrive implements Drive {
  private readonly api: TeraBoxApi;
  private readonly uploader: UploadService;
  private readonly overlay: Overlay;
  private readonly dirs: DirCache;
  private readonly links: LinkCache;
  private readonly quotaCache: QuotaCache;
  private readonly locks = new PathLocks();
  private readonly isJunk: (name: string) => boolean;
  private readonly readOnly: boolean;
  private readonly log: Logger;
  private readonly now: Clock;
  private readonly readCache?: ReadCache;
  private closed = false;

  constructor(opts: TeraBoxDriveOptions) {
    this.api = opts.api;
    this.uploader = opts.uploader;
    this.readOnly = opts.readOnly ?? false;
    this.log = opts.logger ?? silentLogger;
    this.readCache = opts.readCache;
    this.isJunk = junkMatcher(opts.overlayPatterns);
    this.now = opts.now ?? systemClock;
    this.overlay = new Overlay(opts.db, opts.overlayDir, this.now);
    this.dirs = new DirCache({
      load: (dir) => this.loadDir(dir),
      ttlMs: opts.dirTtlMs ?? DRIVE_DEFAULTS.dirTtlMs,
      maxDirs: opts.maxCachedDirs ?? DRIVE_DEFAULTS.maxCachedDirs,
      now: this.now,
    });
    this.links = new LinkCache({ marginMs: opts.linkMarginMs ?? DRIVE_DEFAULTS.linkMarginMs, now: this.now });
    this.quotaCache = new QuotaCache(() => this.api.quota(), opts.quotaTtlMs ?? DRIVE_DEFAULTS.quotaTtlMs, this.now);
  }

  // ---- reads ----

  async stat(path: string): Promise<Entry | null> {
    const p = this.readable(path);
    return (await this.locate(p))?.entry ?? null;
  }

  async list(path: string): Promise<Entry[]> {
    const dir = this.readable(path);
    const self = await this.locate(dir);
    if (!self) throw new DriveError('NOT_FOUND', `${dir} does not exist`);
    if (!self.entry.isDir) throw new DriveError('NOT_A_DIRECTORY', `${dir} is a file`);
    const listing = await this.remoteListing(dir);
    if (!listing) throw new DriveError('NOT_FOUND', `${dir} does not exist`);
    const etag = await loadEtagger();
    const members = new Map<string, Entry>();
    for (const [name, item] of listing) members.set(name, item.entry);
    for (const row of this.overlay.children(dir)) {
      const name = baseName(row.path);
      const shown = pick(listing.get(name), row, etag);
      if (shown) members.set(name, shown.entry);
    }
    return [...members.values()];
  }

  async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<ReadResult> {
    const p = this.readable(path);
    const at = await this.locate(p);
    if (!at) throw new DriveError('NOT_FOUND', `${p} does not exist`);
    if (at.entry.isDir) throw new DriveError('IS_A_DIRECTORY', `${p} is a collection`);
    if (at.local) {
      const stream = await mapErrors(`read ${p}`, () => this.overlay.open(at.row!, range));
      return { entry: at.entry, stream };
    }
    // Chunks from disk, missing ones fetched (with read-ahead) through download() below.
    if (this.readCache) {
      const remote = at.remote!;
      const stream = await this.readCache.read(remote, range, signal, (r, s) => this.download(at.entry, remote, r, s));
      return { entry: at.entry, stream };
    }
    return { entry: at.entry, stream: await this.download(at.entry, at.remote!, range, signal) };
  }

  async quota(): Promise<Quota> {
    this.assertOpen();
    return mapErrors('quota', () => this.quotaCache.get());
  }

  // ---- writes ----

  async write(path: string, body: Readable, opts: WriteOptions = {}): Promise<WriteResult> {
    const p = this.writable(path);
    if (p === ROOT) throw new DriveError('IS_A_DIRECTORY', 'the root is a collection');
    return this.locks.with([p], () =>
      this.guarded(`write ${p}`, [p], async () => {
        // A name TeraBox would refuse fails now, before a 0-byte placeholder or a spooled body exists.
        if (!this.isJunk(baseName(p))) this.api.checkPath(p);
        await this.requireParentDir(p);
        const before = await this.locate(p);
        if (before?.entry.isDir) throw new DriveError('IS_A_DIRECTORY', `${p} is a collection`);
        const etag = await loadEtagger();
        let entry: Entry;
        if (this.isJunk(baseName(p))) {
          entry = entryFromOverlay(await this.overlay.write(p, body, opts), etag);
          if (before?.remote) await this.deleteRemote(p, { missingOk: true });
        } else {
          const result = await this.uploader.upload({
            path: p,
            body,
            size: opts.size,
            sizeHint: opts.sizeHint,
            signal: opts.signal,
          });
          if (result.kind === 'empty') {
            // TeraBox holds no 0-byte files; the row exists before the old remote version goes.
            entry = entryFromOverlay(this.overlay.putEmpty(p), etag);
            if (before?.remote) await this.deleteRemote(p, { missingOk: true });
          } else {
            if (before?.row) this.overlay.removeTree(p);
            entry = this.remember(result.entry, etag).entry;
          }
        }
        this.quotaCache.adjust((entry.size && !this.isJunk(baseName(p)) ? entry.size : 0) - (before?.remote ? before.entry.size : 0));
        return { entry, created: before === null };
      }),
    );
  }

  async mkdir(path: string): Promise<Entry> {
    const p = this.writable(path);
    if (p === ROOT) throw new DriveError('EXISTS', 'the root exists');
    return this.locks.with([p], () =>
      this.guarded(`mkdir ${p}`, [p], async () => {
        this.api.checkPath(p);
        await this.requireParentDir(p);
        if (await this.locate(p)) throw new DriveError('EXISTS', `${p} exists`);
        const remote = await this.api.mkdir(p);
        if (!remote.isDir) throw new DriveError('EXISTS', `${p} exists as a file on TeraBox`);
        const item = this.remember(remote, await loadEtagger());
        this.dirs.seedEmpty(p);
        return item.entry;
      }),
    );
  }

  async remove(path: string): Promise<void> {
    const p = this.writable(path);
    if (p === ROOT) throw new DriveError('READ_ONLY', 'the root cannot be deleted');
    await this.locks.with([p], () =>
      this.guarded(`delete ${p}`, [p], async () => {
        const at = await this.locate(p);
        if (!at) throw new DriveError('NOT_FOUND', `${p} does not exist`);
        // A directory goes upstream in one call with its whole tree; its overlay rows follow.
        if (at.remote) await this.deleteRemote(p, { missingOk: at.local });
        this.overlay.removeTree(p);
        if (at.remote && at.entry.isDir) this.quotaCache.invalidate();
        else if (at.remote) this.quotaCache.adjust(-at.entry.size);
      }),
    );
  }

  move(from: string, to: string, opts: { overwrite: boolean }): Promise<{ created: boolean }> {
    return this.transfer('move', from, to, opts.overwrite, 'infinity');
  }

  copy(from: string, to: string, opts: { overwrite: boolean; depth: 0 | 'infinity' }): Promise<{ created: boolean }> {
    return this.transfer('copy', from, to, opts.overwrite, opts.depth);
  }

  /**
   * Finishes the uploads a previous run journalled (UploadService.resumePending) and forgets the cached
   * listings of the folders they landed in, so each committed file is listed at once. An overlay row
   * left at a committed path by the previous run (Finder's 0-byte placeholder before the content PUT)
   * goes, as write() removes it after a commit; otherwise only clocks would decide which one is shown.
   */
  async resumeUploads(): Promise<ResumeOutcome[]> {
    const started = this.now();
    const outcomes = await this.uploader.resumePending();
    for (const o of outcomes) {
      if (o.status !== 'committed') continue;
      this.dirs.invalidate(parentOf(o.path));
      // A row written since this run started is newer than the journalled content: it stays.
      if ((this.overlay.get(o.path)?.mtime ?? started) < started) this.overlay.removeTree(o.path);
    }
    return outcomes;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dirs.clear();
    this.links.clear();
  }

  // ---- move / copy ----

  private async transfer(
    op: 'move' | 'copy',
    fromPath: string,
    toPath: string,
    overwrite: boolean,
    depth: 0 | 'infinity',
  ): Promise<{ created: boolean }> {
    const from = this.writable(fromPath);
    const to = normalizePath(toPath);
    if (from === to) throw new DriveError('SAME_PATH', `${op} ${from} onto itself`);
    if (to === ROOT) throw new DriveError('EXISTS', 'the root exists and cannot be replaced');
    return this.locks.with([from, to], () =>
      this.guarded(`${op} ${from} to ${to}`, [from, to], async () => {
        const src = await this.locate(from);
        if (!src) throw new DriveError('NOT_FOUND', `${from} does not exist`);
        // What lands on TeraBox (anything already there, any non-junk name) must have a name it takes.
        if (src.remote || !this.isJunk(baseName(to))) this.api.checkPath(to);
        if (src.entry.isDir && isStrictlyUnder(to, from)) {
          throw new DriveError('INTO_ITSELF', `${op} ${from} into its own subtree`);
        }
        await this.requireParentDir(to);
        const dst = await this.locate(to);
        if (dst && !overwrite) throw new DriveError('EXISTS', `${to} exists`);
        if (dst && isStrictlyUnder(from, to)) {
          throw new DriveError('INTO_ITSELF', `${op} ${from} would replace its own ancestor ${to}`);
        }
        if (src.local) await this.transferLocal(op, src, from, to, dst);
        else await this.transferRemote(op, src, from, to, dst, src.entry.isDir ? depth : 'infinity');
        // Copies add bytes and replaced destinations free some; sizes of folders are not known here.
        if (src.entry.isDir || dst?.entry.isDir) this.quotaCache.invalidate();
        else {
          const uploaded = src.local ? !this.isJunk(baseName(to)) : op === 'copy';
          this.quotaCache.adjust((uploaded ? src.entry.size : 0) - (dst?.remote ? dst.entry.size : 0));
        }
        return { created: dst === null };
      }),
    );
  }

  /** The source is an overlay file: it stays local, unless it has bytes and is taking a normal name. */
  private async transferLocal(op: 'move' | 'copy', src: Located, from: string, to: string, dst: Located | null): Promise<void> {
    const row = src.row!;
    if (row.content === null || this.isJunk(baseName(to))) {
      // The overlay cannot replace a TeraBox entry in place: one at `to` is set aside first.
      await this.replacing(to, dst, false, async () => {
        if (op === 'move') this.overlay.move(from, to);
        else await this.overlay.copy(from, to);
      });
    } else {
      await this.replacing(to, dst, true, async () => {
        const content = await this.overlay.open(row);
        try {
          const result = await this.uploader.upload({ path: to, body: content, size: row.size });
          if (result.kind === 'committed') this.remember(result.entry, await loadEtagger());
        } finally {
          // An upload refused before or while reading leaves the body open: it is ours to close.
          content.destroy();
        }
      });
      this.overlay.removeTree(to);
      if (op === 'move') this.overlay.removeTree(from);
    }
    // A TeraBox entry the moved row was shadowing would otherwise reappear at the source.
    if (op === 'move' && src.remote) await this.deleteRemote(from, { missingOk: true });
  }

  /** The source is on TeraBox: one filemanager call (or mkdir for a depth-0 collection copy). */
  private async transferRemote(
    op: 'move' | 'copy',
    src: Located,
    from: string,
    to: string,
    dst: Located | null,
    depth: 0 | 'infinity',
  ): Promise<void> {
    const dest = parentOf(to);
    const newname = baseName(to);
    await this.replacing(to, dst, !src.entry.isDir, async (ondup) => {
      if (op === 'copy' && depth === 0) await this.api.mkdir(to);
      else if (op === 'copy') await this.api.copy([{ path: from, dest, newname }], ondup);
      else if (dest === parentOf(from) && ondup === 'fail') await this.api.rename([{ path: from, newname }]);
      else await this.api.move([{ path: from, dest, newname }], ondup);
    });
    if (op === 'move') this.dirs.remove(from);
    // A replaced folder's listings went in replacing(); a file leaves none below `to`.
    if (src.entry.isDir) this.dirs.forgetTree(to);
    await this.refresh(to);
    // Overlay files inside a moved or copied tree go with it; rows of a replaced destination go.
    if (op === 'move') this.overlay.move(from, to);
    else if (depth === 'infinity') await this.overlay.copy(from, to);
    else this.overlay.removeTree(to);
  }

  /**
   * Runs put() to create `to` in place of dst. When put() can replace a TeraBox file in one call
   * (`overwritesFile`: an upload or a filemanager call on a file) a file is replaced with
   * ondup=overwrite. Otherwise the old destination, with the overlay rows under it, is set aside under
   * a temporary name first and deleted only after put() succeeded, put back if put() failed, so a
   * failed MOVE/COPY never loses the destination, and a failed delete leaves it whole under that name.
   */
  private async replacing(to: string, dst: Located | null, overwritesFile: boolean, put: (ondup: Ondup) => Promise<void>): Promise<void> {
    if (!dst?.remote) return put('fail');
    if (overwritesFile && !dst.remote.isDir) return put('overwrite');
    const dir = parentOf(to);
    const asideName = `.${randomUUID()}.replaced`;
    const aside = joinPath(dir, asideName);
    try {
      await this.api.rename([{ path: to, newname: asideName }]);
    } catch (e) {
      if (!isTeraBoxError(e, 'NOT_FOUND')) throw e;
      // Deleted outside the drive since it was listed: there is nothing to set aside.
      this.dirs.remove(to);
      return put('fail');
    }
    this.dirs.remove(to);
    this.overlay.move(to, aside);
    try {
      await put('fail');
    } catch (e) {
      try {
        await this.api.rename([{ path: aside, newname: baseName(to) }]);
        this.overlay.move(aside, to);
      } catch (err) {
        this.log.error({ err, path: to, aside }, 'could not restore the replaced destination; it is kept under the aside name');
      }
      this.dirs.invalidate(dir);
      throw e;
    }
    try {
      await this.api.delete([aside]);
      // A listing loaded while put() ran holds the aside name.
      this.dirs.remove(aside);
      this.overlay.removeTree(aside);
    } catch (err) {
      this.log.warn({ err, aside }, 'the replaced destination could not be deleted; it is left under the aside name');
      this.dirs.invalidate(dir);
    }
  }

  // ---- lookups ----

  /** What is at path, from the parent's cached listing and the overlay; null when nothing is. */
  private async locate(path: string): Promise<Located | null> {
    if (path === ROOT) return { entry: rootEntry(await loadEtagger()), local: false };
    const listing = await this.remoteListing(parentOf(path));
    if (!listing) return null;
    return pick(listing.get(baseName(path)), this.overlay.get(path), await loadEtagger());
  }

  /** The remote members of dir, or null when dir is not an existing directory. */
  private async remoteListing(dir: string): Promise<Listing | null> {
    // A cached grandparent listing already says whether dir exists (Finder probes missing folders).
    const up = dir === ROOT ? undefined : this.dirs.peek(parentOf(dir));
    if (up && !up.get(baseName(dir))?.remote.isDir) return null;
    try {
      return await this.dirs.listing(dir);
    } catch (e) {
      if (isTeraBoxError(e, 'NOT_FOUND')) {
        // Cached as a directory but gone upstream: someone changed the drive outside.
        if (up) this.dirs.invalidate(parentOf(dir));
        return null;
      }
      throw toDriveError(e, `list ${dir}`);
    }
  }

  private async loadDir(dir: string): Promise<RemoteItem[]> {
    const [remote, etag] = await Promise.all([this.api.list(dir), loadEtagger()]);
    this.log.debug({ dir, entries: remote.length }, 'listed');
    return remote.map((r) => ({ remote: r, entry: entryFromRemote(r, etag) }));
  }

  private async requireParentDir(path: string): Promise<void> {
    const parent = parentOf(path);
    if (parent === ROOT) return;
    const at = await this.locate(parent);
    if (!at) throw new DriveError('PARENT_MISSING', `${parent} does not exist`);
    if (!at.entry.isDir) throw new DriveError('NOT_A_DIRECTORY', `${parent} is a file`);
  }

  // ---- upstream helpers ----

  /**
   * The bytes of a TeraBox file through a cached download link, re-minted once if it expired early.
   * A body TeraBox cuts off is resumed from the byte reached (see read-stream.ts).
   */
  private async download(entry: Entry, remote: RemoteEntry, range: ByteRange | undefined, signal?: AbortSignal): Promise<Readable> {
    const what = `read ${remote.path}`;
    const first = await this.openDownload(entry, remote, range, signal);
    const start = range?.start ?? 0;
    const end = range?.end ?? entry.size - 1;
    return withDriveErrors(first, what, signal, {
      // A break after the last byte leaves nothing to fetch (and a range past the end would be a 416).
      reopen: async (delivered) =>
        start + delivered > end ? Readable.from([]) : this.openDownload(entry, remote, { start: start + delivered, end }, signal),
    });
  }

  /** One download request for a range (or the whole file), checked against the size the listing gave. */
  private async openDownload(entry: Entry, remote: RemoteEntry, range: ByteRange | undefined, signal?: AbortSignal): Promise<Readable> {
    const key = `${remote.path}\n${entry.etag}`;
    const what = `read ${remote.path}`;
    for (let attempt = 1; ; attempt++) {
      let link: DownloadLink | undefined; // so parallel fetches share one re-mint
      try {
        link = await this.links.get(key, () => this.api.downloadLink(remote));
        const res = await this.api.download(link, range, signal);
        const expected = range ? range.end - range.start + 1 : entry.size;
        if (res.length !== expected || res.totalSize !== entry.size) {
          res.body.destroy();
          // The file changed on TeraBox since it was listed: forget the listing, let the client retry.
          this.dirs.invalidate(parentOf(remote.path));
          throw new DriveError(
            'UPSTREAM',
            `${what}: TeraBox answered ${res.length} bytes of ${res.totalSize}, expected ${expected} of ${entry.size}`,
          );
        }
        return res.body;
      } catch (e) {
        if (attempt === 1 && isTeraBoxError(e, 'LINK_EXPIRED')) {
          this.links.forget(key, link); // only if no other fetch re-minted it already
          continue;
        }
        if (isTeraBoxError(e, 'NOT_FOUND')) this.dirs.invalidate(parentOf(remote.path));
        throw toDriveError(e, what);
      }
    }
  }

  private async deleteRemote(path: string, opts: { missingOk: boolean }): Promise<void> {
    try {
      await this.api.delete([path]);
    } catch (e) {
      if (!(opts.missingOk && isTeraBoxError(e, 'NOT_FOUND'))) throw e;
    }
    this.dirs.remove(path);
  }

  /** Puts the entry TeraBox now holds at path into its parent's listing (or forgets that listing). */
  private async refresh(path: string): Promise<void> {
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

  private remember(remote: RemoteEntry, etag: Etagger): RemoteItem {
    const item = { remote, entry: entryFromRemote(remote, etag) };
    this.dirs.upsert(item);
    return item;
  }

  /**
   * Runs a write. Failures from below become DriveErrors; when TeraBox contradicts our listings (a path
   * we listed is gone, or one we did not list exists), the listings around `paths` are dropped so the
   * next request sees the drive as it really is.
   */
  private async guarded<T>(what: string, paths: string[], fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const fromBelow = e instanceof TeraBoxError || e instanceof UploadError;
      const err = toDriveError(e, what);
      if (fromBelow && err instanceof DriveError && SURPRISES.has(err.code)) {
        for (const p of paths) {
          this.dirs.invalidate(parentOf(p));
          this.dirs.invalidate(parentOf(parentOf(p)));
        }
      }
      throw err;
    }
  }

  // ---- argument checks ----

  private assertOpen(): void {
    if (this.closed) throw new DriveError('UNAVAILABLE', 'the drive is closed');
  }

  private readable(path: string): string {
    this.assertOpen();
    return normalizePath(path);
  }

  private writable(path: string): string {
    this.assertOpen();
    if (this.readOnly) throw new DriveError('READ_ONLY', 'the drive is read-only');
    return normalizePath(path);
  }
}

/** Codes that, coming from TeraBox, mean our cached view of the drive is out of date. */
const SURPRISES = new Set(['NOT_FOUND', 'EXISTS', 'PARENT_MISSING']);

/**
 * The entry shown at a path that may have both a TeraBox entry and an overlay row (only after changes
 * made outside the drive: our own writes remove the other kind): the newer one wins, the overlay on a tie.
 */
function pick(item: RemoteItem | undefined, row: OverlayRow | undefined, etag: Etagger): Located | null {
  if (row && (!item || row.mtime >= item.remote.mtime * 1000)) {
    return { entry: entryFromOverlay(row, etag), local: true, remote: item?.remote, row };
  }
  if (item) return { entry: item.entry, local: false, remote: item.remote, row };
  return null;
}
