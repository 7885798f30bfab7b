// Reading the namespace: what is at a path and what a folder holds, merged from the cached TeraBox
// listings and the local overlay (0-byte and OS-junk files).

import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { RemoteEntry } from '../terabox/api.js';
import type { PendingCommit } from '../upload/types.js';
import { isTeraBoxError } from '../terabox/errors.js';
import type { Listing, RemoteItem } from './dir-cache.js';
import { entryFromOverlay, entryFromPending, entryFromRemote, rootEntry } from './entries.js';
import { toDriveError } from './errors.js';
import { loadEtagger, type Etagger } from './etag.js';
import type { DriveCore } from './core.js';
import type { OverlayRow } from './overlay.js';
import { baseName, parentOf, ROOT } from './paths.js';
import { fileRangeStream } from '../util/file-pieces.js';
import { DriveError, type ByteRange, type Entry } from './types.js';

/** What is at a path: the entry shown, and each kind of thing stored there. */
export interface Located {
  entry: Entry;
  /** The entry shown comes from the overlay. */
  local: boolean;
  /** The TeraBox entry at the path (present even when a newer overlay row shadows it). */
  remote?: RemoteEntry;
  /** The overlay row at the path (present even when a newer TeraBox entry shadows it). */
  row?: OverlayRow;
  /** A write-back commit queued for the path: the newest content, shown over anything else. */
  pending?: PendingCommit;
}

export class Lookup {
  constructor(private readonly core: DriveCore) {}

  /** What is at path, from the parent's cached listing and the overlay; null when nothing is. */
  async locate(path: string): Promise<Located | null> {
    if (path === ROOT) return { entry: rootEntry(await loadEtagger()), local: false };
    const listing = await this.remoteListing(parentOf(path));
    if (!listing) return null;
    const etag = await loadEtagger();
    const item = listing.get(baseName(path));
    const row = this.core.overlay.get(path);
    const pending = this.core.uploader.pendingAt(path);
    if (pending) return { entry: entryFromPending(pending, etag), local: false, remote: item?.remote, row, pending };
    return newerOf(item, row, etag);
  }

  /** The members of an existing folder `dir` (TeraBox entries and overlay rows merged). */
  async list(dir: string): Promise<Entry[]> {
    const self = await this.locate(dir);
    if (!self) throw new DriveError('NOT_FOUND', `${dir} does not exist`);
    if (!self.entry.isDir) throw new DriveError('NOT_A_DIRECTORY', `${dir} is a file`);
    const listing = await this.remoteListing(dir);
    if (!listing) throw new DriveError('NOT_FOUND', `${dir} does not exist`);
    const etag = await loadEtagger();
    const members = new Map<string, Entry>();
    for (const [name, item] of listing) members.set(name, item.entry);
    for (const row of this.core.overlay.children(dir)) {
      const name = baseName(row.path);
      const shown = newerOf(listing.get(name), row, etag);
      if (shown) members.set(name, shown.entry);
    }
    for (const c of this.core.uploader.pendingCommits()) {
      if (parentOf(c.path) === dir) members.set(baseName(c.path), entryFromPending(c, etag));
    }
    return [...members.values()];
  }

  /** The remote members of dir, or null when dir is not an existing directory. */
  async remoteListing(dir: string): Promise<Listing | null> {
    const { dirs } = this.core;
    // A cached grandparent listing already says whether dir exists (Finder probes missing folders).
    const up = dir === ROOT ? undefined : dirs.peek(parentOf(dir));
    if (up && !up.get(baseName(dir))?.remote.isDir) return null;
    try {
      return await dirs.listing(dir);
    } catch (e) {
      if (isTeraBoxError(e, 'NOT_FOUND')) {
        // Cached as a directory but gone upstream: someone changed the drive outside.
        if (up) dirs.invalidate(parentOf(dir));
        return null;
      }
      throw toDriveError(e, `list ${dir}`);
    }
  }

  async requireParentDir(path: string): Promise<void> {
    const parent = parentOf(path);
    if (parent === ROOT) return;
    const at = await this.locate(parent);
    if (!at) throw new DriveError('PARENT_MISSING', `${parent} does not exist`);
    if (!at.entry.isDir) throw new DriveError('NOT_A_DIRECTORY', `${parent} is a file`);
  }
}

/** Opens a pending file's spooled body (or a range of it); ENOENT once its commit has landed and the spool is gone. */
export async function openPending(c: PendingCommit, range?: ByteRange): Promise<Readable> {
  const fh = await open(c.spoolFile, 'r');
  // The descriptor keeps the bytes readable even if the spool file is removed while they stream.
  return fileRangeStream(fh, range?.start ?? 0, range?.end ?? c.size - 1);
}

/** Loads one folder's TeraBox listing (DirCache's loader). */
export async function loadRemoteDir(core: DriveCore, dir: string): Promise<RemoteItem[]> {
  const [remote, etag] = await Promise.all([core.api.list(dir), loadEtagger()]);
  core.log.debug({ dir, entries: remote.length }, 'listed');
  return remote.map((r) => ({ remote: r, entry: entryFromRemote(r, etag) }));
}

/**
 * The entry shown at a path that may have both a TeraBox entry and an overlay row (only after changes
 * made outside the drive: our own writes remove the other kind): the newer one wins, the overlay on a tie.
 */
export function newerOf(item: RemoteItem | undefined, row: OverlayRow | undefined, etag: Etagger): Located | null {
  if (row && (!item || row.mtime >= item.remote.mtime * 1000)) {
    return { entry: entryFromOverlay(row, etag), local: true, remote: item?.remote, row };
  }
  if (item) return { entry: item.entry, local: false, remote: item.remote, row };
  return null;
}
