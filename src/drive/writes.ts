// Changing the namespace in place: PUT (through the uploader, or the overlay for empty and junk
// files), MKCOL and DELETE. Each holds the path lock of what it changes and patches the cached
// listings so a read right after sees the change.
//
// Write-back: a PUT stages its body (spooled, fsynced, journalled) and is answered at once; the commit
// runs in the uploader's queue and the file is shown from the spool until it lands (lookup.ts). A newer
// write or a DELETE cancels the queued commit first, so older content never lands after newer.

import type { Readable } from 'node:stream';
import type { DriveCore } from './core.js';
import { entryFromOverlay, entryFromPending } from './entries.js';
import { loadEtagger } from './etag.js';
import type { Located, Lookup } from './lookup.js';
import type { OverlayRow } from './overlay.js';
import { baseName, isStrictlyUnder, ROOT } from './paths.js';
import { DriveError, type Entry, type WriteOptions, type WriteResult } from './types.js';

/** A path and everything under it. */
export function underOrAt(root: string): (path: string) => boolean {
  return (path) => path === root || isStrictlyUnder(path, root);
}

export class Writes {
  constructor(
    private readonly core: DriveCore,
    private readonly lookup: Lookup,
  ) {}

  async write(path: string, body: Readable, opts: WriteOptions = {}): Promise<WriteResult> {
    const { core, lookup } = this;
    const p = core.writable(path);
    if (p === ROOT) throw new DriveError('IS_A_DIRECTORY', 'the root is a collection');
    return core.locks.with([p], () =>
      core.guarded(`write ${p}`, [p], async () => {
        // A name TeraBox would refuse fails now, before a 0-byte placeholder or a spooled body exists.
        if (!core.isJunk(baseName(p))) core.api.checkPath(p);
        await lookup.requireParentDir(p);
        const before = await lookup.locate(p);
        if (before?.entry.isDir) throw new DriveError('IS_A_DIRECTORY', `${p} is a collection`);
        const etag = await loadEtagger();
        // The cached quota follows what this write stores on TeraBox and what it frees there; a
        // staged (write-back) body counts as pending until its commit lands (then the quota is re-read).
        const replacedRemote = before?.remote && !before.pending ? before.entry.size : 0;
        // A body kept in the overlay (a junk name, or a 0-byte file TeraBox cannot hold): its row exists
        // before the older version goes, and what that version took on TeraBox is free again.
        const keptLocally = async (row: OverlayRow): Promise<Entry> => {
          await this.dropOlder(p, before);
          core.quotaCache.adjust(-replacedRemote);
          return entryFromOverlay(row, etag);
        };
        let entry: Entry;
        if (core.isJunk(baseName(p))) {
          entry = await keptLocally(await core.overlay.write(p, body, opts));
        } else if (core.writeBack && this.roomFor(p, opts)) {
          const result = await this.stage(p, body, opts);
          if (result.kind === 'empty') {
            entry = await keptLocally(core.overlay.putEmpty(p));
          } else {
            if (before?.row) core.overlay.removeTree(p);
            entry = entryFromPending(result.commit, etag);
          }
        } else {
          const result = await this.writeThrough(p, body, opts);
          if (result.kind === 'empty') {
            entry = await keptLocally(core.overlay.putEmpty(p));
          } else {
            if (before?.row) core.overlay.removeTree(p);
            entry = core.remember(result.entry, etag).entry;
            core.quotaCache.adjust(entry.size - replacedRemote);
          }
        }
        return { entry, created: before === null };
      }),
    );
  }

  /** After a local (overlay) write: a queued commit and a TeraBox file at the path are older, and go. */
  private async dropOlder(p: string, before: Located | null): Promise<void> {
    const { core } = this;
    if (before?.pending) await core.uploader.cancelCommits((x) => x === p, `${p} was written again`);
    const now = before?.pending ? await this.lookup.locate(p) : before;
    if (now?.remote) await core.deleteRemote(p, { missingOk: true });
  }

  /**
   * Write-back has room for this PUT unless the bytes not yet on TeraBox would pass maxPendingBytes;
   * then it is written through (the client waits for TeraBox), and the log and status API say so.
   */
  private roomFor(p: string, opts: WriteOptions): boolean {
    const { core } = this;
    if (core.maxPendingBytes === Number.POSITIVE_INFINITY) return true;
    const pending = core.pendingBytes();
    const size = opts.size ?? opts.sizeHint ?? 0;
    if (pending === 0 || pending + size <= core.maxPendingBytes) return true;
    core.log.warn(
      { path: p, pendingBytes: pending, maxPendingBytes: core.maxPendingBytes },
      'too many bytes waiting for TeraBox: this PUT is written through',
    );
    return false;
  }

  private async writeThrough(p: string, body: Readable, opts: WriteOptions) {
    const { core } = this;
    const mtime = core.nowSeconds();
    const waiting = core.writeBack;
    if (waiting) core.backpressured++;
    try {
      const result = await core.uploader.upload({ path: p, body, size: opts.size, sizeHint: opts.sizeHint, signal: opts.signal, mtime });
      // create answers the server's time; the listing shows the local_mtime it was given.
      if (result.kind === 'committed') result.entry.localMtime ??= mtime;
      return result;
    } finally {
      if (waiting) core.backpressured--;
    }
  }

  /**
   * Stages a write-back body. Refused before it is read when the quota known from the cached answer,
   * less the bytes already waiting for TeraBox and those announced by other PUTs, has no room for it
   * (and once read, when its size was not announced).
   */
  private async stage(p: string, body: Readable, opts: WriteOptions) {
    const { core } = this;
    return core.uploader.stage({
      path: p,
      body,
      size: opts.size,
      sizeHint: opts.sizeHint,
      signal: opts.signal,
      mtime: core.nowSeconds(),
      // After the per-file limit (413 comes first), before a byte is read.
      beforeBody: () => this.reserveQuota(p, opts.size ?? 0),
      admit: opts.size === undefined ? async (size) => (await this.reserveQuota(p, size))() : undefined,
    });
  }

  /**
   * Checks that `size` more bytes fit in the quota (as last read) after the pending commits and the
   * other PUTs' reservations, and reserves them until the returned function is called. Check and
   * reservation happen in one step, so two PUTs that each fit but not together cannot both pass.
   */
  private async reserveQuota(p: string, size: number): Promise<() => void> {
    const { core } = this;
    if (size === 0) return () => {};
    let available: number;
    try {
      available = (await core.quotaCache.get()).available;
    } catch {
      // TeraBox unreachable: write-back takes the file; its commit waits for TeraBox.
      return () => {};
    }
    const room = available - core.pendingQuotaBytes() - core.reservedQuota;
    if (size > room) {
      throw new DriveError(
        'QUOTA',
        `${p}: ${size} bytes do not fit in the ${Math.max(0, room)} bytes left on TeraBox after the uploads still pending`,
      );
    }
    core.reservedQuota += size;
    let released = false;
    return () => {
      if (!released) core.reservedQuota -= size;
      released = true;
    };
  }

  async mkdir(path: string): Promise<Entry> {
    const { core, lookup } = this;
    const p = core.writable(path);
    if (p === ROOT) throw new DriveError('EXISTS', 'the root exists');
    return core.locks.with([p], () =>
      core.guarded(`mkdir ${p}`, [p], async () => {
        core.api.checkPath(p);
        await lookup.requireParentDir(p);
        if (await lookup.locate(p)) throw new DriveError('EXISTS', `${p} exists`);
        const remote = await core.api.mkdir(p);
        if (!remote.isDir) throw new DriveError('EXISTS', `${p} exists as a file on TeraBox`);
        const item = core.remember(remote, await loadEtagger());
        core.dirs.seedEmpty(p);
        return item.entry;
      }),
    );
  }

  async remove(path: string): Promise<void> {
    const { core, lookup } = this;
    const p = core.writable(path);
    if (p === ROOT) throw new DriveError('READ_ONLY', 'the root cannot be deleted');
    await core.locks.with([p], () =>
      core.guarded(`delete ${p}`, [p], async () => {
        const at = await lookup.locate(p);
        // Commits queued (write-back) or resumed from the journal (write-through) under p never land
        // now: one whose create was already on the wire has landed when this returns, and goes below.
        await core.uploader.cancelCommits(underOrAt(p), `${p} was deleted`);
        const now = at?.pending || !at ? await lookup.locate(p) : at;
        if (!at && !now) throw new DriveError('NOT_FOUND', `${p} does not exist`);
        // A directory goes upstream in one call with its whole tree; its overlay rows follow.
        if (now?.remote) await core.deleteRemote(p, { missingOk: now.local || at?.pending !== undefined });
        core.overlay.removeTree(p);
        // Space was freed (a folder's size is not known here: the quota is read again), and commits
        // that failed for want of it get another try.
        if (now?.remote && !now.entry.isDir) core.quotaCache.adjust(-now.entry.size);
        else if (now?.remote) core.quotaCache.invalidate();
        core.uploader.retryFailed();
      }),
    );
  }
}
