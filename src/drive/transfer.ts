// MOVE and COPY, done server-side by /api/filemanager. A destination that cannot be replaced in one
// call is set aside under a temporary name first and deleted only once the new one is in place, put
// back when that fails (replacing()), so a failed MOVE/COPY never loses the destination.

import { randomUUID } from 'node:crypto';
import { isTeraBoxError } from '../terabox/errors.js';
import type { DriveCore } from './core.js';
import { loadEtagger } from './etag.js';
import { openPending, type Located, type Lookup } from './lookup.js';
import { baseName, isStrictlyUnder, joinPath, normalizePath, parentOf, rebase, ROOT } from './paths.js';
import type { HeldCommits } from '../upload/types.js';
import { underOrAt } from './writes.js';
import { DriveError } from './types.js';

export class Transfers {
  constructor(
    private readonly core: DriveCore,
    private readonly lookup: Lookup,
  ) {}

  async transfer(
    op: 'move' | 'copy',
    fromPath: string,
    toPath: string,
    overwrite: boolean,
    depth: 0 | 'infinity',
  ): Promise<{ created: boolean }> {
    const from = this.core.writable(fromPath);
    const to = normalizePath(toPath);
    if (from === to) throw new DriveError('SAME_PATH', `${op} ${from} onto itself`);
    if (to === ROOT) throw new DriveError('EXISTS', 'the root exists and cannot be replaced');
    return this.core.locks.with([from, to], () =>
      this.core.guarded(`${op} ${from} to ${to}`, [from, to], async () => {
        const src = await this.lookup.locate(from);
        if (!src) throw new DriveError('NOT_FOUND', `${from} does not exist`);
        // What lands on TeraBox (anything already there, any non-junk name) must have a name it takes.
        if (src.remote || !this.core.isJunk(baseName(to))) this.core.api.checkPath(to);
        if (src.entry.isDir && isStrictlyUnder(to, from)) {
          throw new DriveError('INTO_ITSELF', `${op} ${from} into its own subtree`);
        }
        await this.lookup.requireParentDir(to);
        const dst = await this.lookup.locate(to);
        if (dst && !overwrite) throw new DriveError('EXISTS', `${to} exists`);
        if (dst && isStrictlyUnder(from, to)) {
          throw new DriveError('INTO_ITSELF', `${op} ${from} would replace its own ancestor ${to}`);
        }
        // Commits queued for the destination are held: dropped once it is replaced, kept if that fails.
        const replaced = dst ? await this.core.uploader.holdCommits(underOrAt(to), `${to} is being replaced`) : undefined;
        try {
          const dstNow = replaced ? await this.lookup.locate(to) : dst;
          const pendingUnder =
            src.pending !== undefined ||
            (src.entry.isDir && this.core.uploader.pendingCommits().some((c) => isStrictlyUnder(c.path, from)));
          if (src.pending && !src.entry.isDir && this.core.isJunk(baseName(to))) await this.pendingToJunk(op, from, to, dstNow);
          else if (pendingUnder) await this.transferPending(op, from, to, dstNow, src.entry.isDir ? depth : 'infinity', replaced);
          else if (src.local) await this.transferLocal(op, src, from, to, dstNow);
          else await this.transferRemote(op, src, from, to, dstNow, src.entry.isDir ? depth : 'infinity');
          if (replaced) await this.dropReplaced(replaced);
        } finally {
          replaced?.release();
        }
        // A copy adds bytes, a replaced destination frees some, a local file taking a normal name is
        // uploaded: sizes of trees are not known here, so the quota is read again.
        if (op === 'copy' || dst || src.local) this.core.quotaCache.invalidate();
        return { created: dst === null };
      }),
    );
  }

  /**
   * The source is a pending file (write-back) or a folder holding some. Their commits are held (stopped
   * at a safe point, so none lands during the move), whatever TeraBox already holds at the source (an
   * older version, a commit that landed meanwhile, the folder) is moved or copied as usual, and then
   * the held commits follow: a MOVE sends them to the new paths, a COPY queues copies of them there.
   * Their content is newer than what TeraBox holds, so committed last it is what stays.
   */
  private async transferPending(
    op: 'move' | 'copy',
    from: string,
    to: string,
    dst: Located | null,
    depth: 0 | 'infinity',
    replaced: HeldCommits | undefined,
  ): Promise<void> {
    const { core, lookup } = this;
    const under = underOrAt(from);
    const held = await core.uploader.holdCommits(under, `${from} is being ${op === 'move' ? 'moved' : 'copied'}`);
    let rename: ((path: string) => string) | undefined;
    try {
      const src = await lookup.locate(from);
      const dstNow = dst;
      // A pending file's older TeraBox version moves with it (a COPY leaves it: the copy's commit replaces it).
      if (src?.remote && (src.remote.isDir || !src.pending || op === 'move')) {
        await this.transferRemote(op, src, from, to, dstNow, src.remote.isDir ? depth : 'infinity');
      } else {
        // Only the pending file itself: the destination goes, the commit brings the new content.
        if (dstNow?.remote) await core.deleteRemote(to, { missingOk: true });
        core.overlay.removeTree(to);
      }
      // The destination's own commits go before the moved ones take their paths.
      if (replaced) await this.dropReplaced(replaced);
      if (op === 'move') rename = (p) => (under(p) ? rebase(p, from, to) : p);
      else if (depth === 'infinity' || !src?.entry.isDir) {
        for (const c of held.commits) {
          if (core.uploader.pendingAt(c.path)?.id !== c.id) continue;
          await core.uploader.copyCommit(c, rebase(c.path, from, to));
        }
      }
    } finally {
      held.release(rename);
    }
  }

  /**
   * A pending file (write-back) taking an OS-junk name: like every junk file it stays local. Its body
   * becomes an overlay file at `to`; a MOVE cancels its commit and deletes an older TeraBox version
   * at the source (it would reappear there otherwise); a COPY leaves the source's commit queued.
   */
  private async pendingToJunk(op: 'move' | 'copy', from: string, to: string, dst: Located | null): Promise<void> {
    const { core, lookup } = this;
    const held = await core.uploader.holdCommits((p) => p === from, `${from} is being ${op === 'move' ? 'moved' : 'copied'}`);
    try {
      const src = await lookup.locate(from);
      if (!src) throw new DriveError('NOT_FOUND', `${from} does not exist`);
      const pending = src.pending;
      // Its create was on the wire when held: it landed, and moves as any TeraBox file does.
      if (!pending) return await this.transferRemote(op, src, from, to, dst, 'infinity');
      await this.replacing(to, dst, false, async () => {
        await core.overlay.write(to, await openPending(pending), { size: pending.size });
      });
      if (op === 'move') {
        await core.uploader.cancelCommits((_, id) => id === pending.id, `${from} was moved to the local name ${to}`);
        if (src.remote) await core.deleteRemote(from, { missingOk: true });
        core.overlay.removeTree(from);
      }
    } finally {
      held.release();
    }
  }

  /** The held commits of a replaced destination never land. */
  private async dropReplaced(held: HeldCommits): Promise<void> {
    const ids = new Set(held.commits.map((c) => c.id));
    if (ids.size > 0) await this.core.uploader.cancelCommits((_, id) => ids.has(id), 'its path was replaced by a MOVE or COPY');
  }

  /** The source is an overlay file: it stays local, unless it has bytes and is taking a normal name. */
  private async transferLocal(op: 'move' | 'copy', src: Located, from: string, to: string, dst: Located | null): Promise<void> {
    const row = src.row!;
    if (row.content === null || this.core.isJunk(baseName(to))) {
      // The overlay cannot replace a TeraBox entry in place: one at `to` is set aside first.
      await this.replacing(to, dst, false, async () => {
        if (op === 'move') this.core.overlay.move(from, to);
        else await this.core.overlay.copy(from, to);
      });
    } else {
      await this.replacing(to, dst, true, async () => {
        const content = await this.core.overlay.open(row);
        try {
          const result = await this.core.uploader.upload({ path: to, body: content, size: row.size });
          if (result.kind === 'committed') this.core.remember(result.entry, await loadEtagger());
        } finally {
          // An upload refused before or while reading leaves the body open: it is ours to close.
          content.destroy();
        }
      });
      this.core.overlay.removeTree(to);
      if (op === 'move') this.core.overlay.removeTree(from);
    }
    // A TeraBox entry the moved row was shadowing would otherwise reappear at the source.
    if (op === 'move' && src.remote) await this.core.deleteRemote(from, { missingOk: true });
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
    await this.replacing(to, dst, !src.entry.isDir, async (overwrite) => {
      if (op === 'copy' && depth === 0) await this.core.api.mkdir(to);
      else if (op === 'copy') await this.core.api.copy([{ path: from, dest, newname }], { overwrite });
      else if (dest === parentOf(from) && !overwrite) await this.core.api.rename([{ path: from, newname }]);
      else await this.core.api.move([{ path: from, dest, newname }], { overwrite });
    });
    if (op === 'move') this.core.dirs.remove(from);
    // A replaced folder's listings went in replacing(); a file leaves none below `to`.
    if (src.entry.isDir) this.core.dirs.forgetTree(to);
    await this.core.refresh(to);
    // Overlay files inside a moved or copied tree go with it; rows of a replaced destination go.
    if (op === 'move') this.core.overlay.move(from, to);
    else if (depth === 'infinity') await this.core.overlay.copy(from, to);
    else this.core.overlay.removeTree(to);
  }

  /**
   * Runs put() to create `to` in place of dst. When put() can replace a TeraBox file in one call
   * (`overwritesFile`: an upload or a filemanager call on a file) a file is replaced by put(true), an
   * overwriting call. Otherwise the old destination, with the overlay rows under it, is set aside under
   * a temporary name first and deleted only after put() succeeded, put back if put() failed, so a
   * failed MOVE/COPY never loses the destination, and a failed delete leaves it whole under that name.
   */
  private async replacing(
    to: string,
    dst: Located | null,
    overwritesFile: boolean,
    put: (overwrite: boolean) => Promise<void>,
  ): Promise<void> {
    if (!dst?.remote) return put(false);
    if (overwritesFile && !dst.remote.isDir) return put(true);
    const dir = parentOf(to);
    const asideName = `.${randomUUID()}.replaced`;
    const aside = joinPath(dir, asideName);
    try {
      await this.core.api.rename([{ path: to, newname: asideName }]);
    } catch (e) {
      if (!isTeraBoxError(e, 'NOT_FOUND')) throw e;
      // Deleted outside the drive since it was listed: there is nothing to set aside.
      this.core.dirs.remove(to);
      return put(false);
    }
    this.core.dirs.remove(to);
    this.core.overlay.move(to, aside);
    try {
      await put(false);
    } catch (e) {
      try {
        await this.core.api.rename([{ path: aside, newname: baseName(to) }]);
        this.core.overlay.move(aside, to);
      } catch (err) {
        this.core.log.error({ err, path: to, aside }, 'could not restore the replaced destination; it is kept under the aside name');
      }
      this.core.dirs.invalidate(dir);
      throw e;
    }
    try {
      await this.core.api.delete([aside]);
      // A listing loaded while put() ran holds the aside name.
      this.core.dirs.remove(aside);
      this.core.overlay.removeTree(aside);
    } catch (err) {
      this.core.log.warn({ err, aside }, 'the replaced destination could not be deleted; it is left under the aside name');
      this.core.dirs.invalidate(dir);
    }
  }
}
