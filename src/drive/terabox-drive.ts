// The Drive over TeraBox, as a thin facade over its parts: lookup.ts (what is at a path, listings
// merged with the local overlay), writes.ts (PUT, MKCOL, DELETE), transfer.ts (server-side MOVE and
// COPY with the set-aside-and-restore protocol), downloads.ts (bytes through cached download links).
// core.ts holds what they share. Every write patches the cached listings (read-after-write).

import type { Readable } from 'node:stream';
import type { RemoteEntry } from '../terabox/api.js';
import type { ResumeOutcome } from '../upload/types.js';
import { DriveCore, DRIVE_DEFAULTS, type TeraBoxDriveOptions } from './core.js';
import { Downloads } from './downloads.js';
import { mapErrors } from './errors.js';
import { entryFromRemote } from './entries.js';
import { loadedEtagger } from './etag.js';
import { loadRemoteDir, Lookup, openPending } from './lookup.js';
import { filePieces } from '../util/file-pieces.js';
import type { UploadStatus, UploadTotals } from './status.js';
import { parentOf } from './paths.js';
import { Transfers } from './transfer.js';
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
import { Writes } from './writes.js';

export { DRIVE_DEFAULTS, type TeraBoxDriveOptions } from './core.js';

/** Pieces of spooled and overlay files go back to the pool local file reads share. */
const recycleFilePiece = (piece: Buffer): void => void filePieces.give(piece);

export class TeraBoxDrive implements Drive {
  private readonly core: DriveCore;
  private readonly lookup: Lookup;
  private readonly writes: Writes;
  private readonly transfers: Transfers;
  private readonly downloads: Downloads;

  constructor(opts: TeraBoxDriveOptions) {
    this.core = new DriveCore(opts, (dir) => loadRemoteDir(this.core, dir));
    this.lookup = new Lookup(this.core);
    this.writes = new Writes(this.core, this.lookup);
    this.transfers = new Transfers(this.core, this.lookup);
    this.downloads = new Downloads(this.core, { linkMarginMs: opts.linkMarginMs ?? DRIVE_DEFAULTS.linkMarginMs });
    // A background commit landed: its folder's cached listing gets the file as TeraBox now holds it,
    // with the mtime and md5 it was shown with while pending (so its ETag does not change). Its spool
    // file (removed once this returns) becomes that version's read-cache chunks: no fetch to read it.
    opts.uploader.onLanded(async (c, landed) => {
      const remote = { ...landed, localMtime: landed.localMtime ?? c.mtime, md5: landed.md5 ?? c.md5 };
      this.core.quotaCache.invalidate();
      const etag = loadedEtagger();
      if (etag) this.core.dirs.upsert({ remote, entry: entryFromRemote(remote, etag) });
      else this.core.dirs.invalidate(parentOf(c.path));
      await this.adopt(remote, c.spoolFile);
    });
  }

  // ---- reads ----

  async stat(path: string): Promise<Entry | null> {
    const p = this.core.readable(path);
    return (await this.lookup.locate(p))?.entry ?? null;
  }

  async list(path: string): Promise<Entry[]> {
    return this.lookup.list(this.core.readable(path));
  }

  async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<ReadResult> {
    const p = this.core.readable(path);
    const at = await this.lookup.locate(p);
    if (!at) throw new DriveError('NOT_FOUND', `${p} does not exist`);
    if (at.entry.isDir) throw new DriveError('IS_A_DIRECTORY', `${p} is a collection`);
    if (at.pending) {
      try {
        return { entry: at.entry, stream: await openPending(at.pending, range), recycle: recycleFilePiece };
      } catch (e) {
        // Landed (and its spool removed) since it was looked up: it is read from TeraBox now.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !this.core.uploader.pendingAt(p)) return this.read(path, range, signal);
        throw e;
      }
    }
    if (at.local) {
      const stream = await mapErrors(`read ${p}`, () => this.core.overlay.open(at.row!, range));
      return { entry: at.entry, stream, recycle: recycleFilePiece };
    }
    const remote = at.remote!;
    // Through the block cache: chunks from disk, missing ones fetched (with read-ahead) by download().
    const download = (r: ByteRange | undefined, s?: AbortSignal, seen?: (md5: string) => void) =>
      this.downloads.download(at.entry, remote, r, s, seen);
    const cache = this.core.readCache;
    if (!cache) return { entry: at.entry, stream: await download(range, signal) };
    const stream = await cache.read(remote, range, signal, download);
    return { entry: at.entry, stream, recycle: (piece) => cache.recycle(piece) };
  }

  async quota(): Promise<Quota> {
    this.core.assertOpen();
    const q = await mapErrors('quota', () => this.core.quotaCache.get());
    // Files waiting for their commit already count, as they will once they land.
    const pending = this.core.pendingQuotaBytes();
    return pending === 0 ? q : { used: q.used + pending, available: Math.max(0, q.available - pending) };
  }

  // ---- writes ----

  write(path: string, body: Readable, opts: WriteOptions = {}): Promise<WriteResult> {
    return this.writes.write(path, body, opts);
  }

  mkdir(path: string): Promise<Entry> {
    return this.writes.mkdir(path);
  }

  remove(path: string): Promise<void> {
    return this.writes.remove(path);
  }

  move(from: string, to: string, opts: { overwrite: boolean }): Promise<{ created: boolean }> {
    return this.transfers.transfer('move', from, to, opts.overwrite, 'infinity');
  }

  copy(from: string, to: string, opts: { overwrite: boolean; depth: 0 | 'infinity' }): Promise<{ created: boolean }> {
    return this.transfers.transfer('copy', from, to, opts.overwrite, opts.depth);
  }

  /**
   * Finishes the uploads a previous run journalled (UploadService.resumePending) and forgets the cached
   * listings of the folders they landed in, so each committed file is listed at once. An overlay row
   * left at a committed path by the previous run (Finder's 0-byte placeholder before the content PUT)
   * goes, as write() removes it after a commit; otherwise only clocks would decide which one is shown.
   */
  async resumeUploads(): Promise<ResumeOutcome[]> {
    const started = this.core.now();
    const outcomes = await this.core.uploader.resumePending();
    for (const o of outcomes) {
      if (o.status !== 'committed') continue;
      this.core.dirs.invalidate(parentOf(o.path));
      // A row written since this run started is newer than the journalled content: it stays.
      if ((this.core.overlay.get(o.path)?.mtime ?? started) < started) this.core.overlay.removeTree(o.path);
    }
    return outcomes;
  }

  /** The uploads section of the status snapshot (src/drive/status.ts). */
  uploadStatus(): { items: UploadStatus[]; totals: UploadTotals } {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const totals: UploadTotals = { pending: 0, active: 0, failed: 0, pendingBytes: 0, backpressure: this.core.backpressured > 0 };
    const items = this.core.uploader.pendingCommits().map((c): UploadStatus => {
      totals[c.state]++;
      if (c.state !== 'failed') totals.pendingBytes += c.size - c.confirmedBytes;
      const item: UploadStatus = {
        id: String(c.id),
        path: c.path,
        size: c.size,
        confirmedBytes: c.confirmedBytes,
        state: c.state,
        attempts: c.attempts,
        queuedAt: iso(c.queuedAt)!,
        updatedAt: iso(c.updatedAt)!,
      };
      if (c.lastError !== undefined) item.lastError = c.lastError;
      if (c.startedAt !== undefined) item.startedAt = iso(c.startedAt);
      if (c.rate !== undefined) item.rate = c.rate;
      return item;
    });
    return { items, totals };
  }

  /** Resolves once no write-back commit is pending or active (tests, benchmarks, tools). */
  idle(): Promise<void> {
    return this.core.uploader.idle();
  }

  /** Keeps a landed body's bytes as the cache chunks of the version TeraBox holds (a later read computes the same key). */
  private async adopt(remote: RemoteEntry, spoolFile: string): Promise<void> {
    const cache = this.core.readCache;
    if (!cache || this.core.closed || remote.isDir || remote.size === 0) return;
    try {
      await cache.adopt(remote, spoolFile);
    } catch (err) {
      // Only a cache miss later: the file is on TeraBox.
      this.core.log.warn({ err, path: remote.path }, "cache: could not keep a landed file's bytes");
    }
  }

  async close(): Promise<void> {
    this.core.closed = true;
    this.core.dirs.clear();
    this.downloads.clear();
  }
}
