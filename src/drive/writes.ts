// Changing the namespace in place: PUT (through the uploader, or the overlay for empty and junk
// files), MKCOL and DELETE. Each holds the path lock of what it changes and patches the cached
// listings so a read right after sees the change.

import type { Readable } from 'node:stream';
import type { DriveCore } from './core.js';
import { entryFromOverlay } from './entries.js';
import { loadEtagger } from './etag.js';
import type { Lookup } from './lookup.js';
import { baseName, ROOT } from './paths.js';
import { DriveError, type Entry, type WriteOptions, type WriteResult } from './types.js';

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
        let entry: Entry;
        if (core.isJunk(baseName(p))) {
          entry = entryFromOverlay(await core.overlay.write(p, body, opts), etag);
          if (before?.remote) await core.deleteRemote(p, { missingOk: true });
        } else {
          const result = await core.uploader.upload({
            path: p,
            body,
            size: opts.size,
            sizeHint: opts.sizeHint,
            signal: opts.signal,
          });
          if (result.kind === 'empty') {
            // TeraBox holds no 0-byte files; the row exists before the old remote version goes.
            entry = entryFromOverlay(core.overlay.putEmpty(p), etag);
            if (before?.remote) await core.deleteRemote(p, { missingOk: true });
          } else {
            if (before?.row) core.overlay.removeTree(p);
            entry = core.remember(result.entry, etag).entry;
          }
        }
        return { entry, created: before === null };
      }),
    );
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
        if (!at) throw new DriveError('NOT_FOUND', `${p} does not exist`);
        // A directory goes upstream in one call with its whole tree; its overlay rows follow.
        if (at.remote) await core.deleteRemote(p, { missingOk: at.local });
        core.overlay.removeTree(p);
      }),
    );
  }
}
