// Builds the drive's Entry (what WebDAV shows) from a TeraBox entry or an overlay row, once per
// listing load or write, so PROPFIND serves prepared objects.

import { lookup as mimeLookup } from 'mime-types';
import type { RemoteEntry } from '../terabox/api.js';
import type { Etagger } from './etag.js';
import type { OverlayRow } from './overlay.js';
import { baseName, ROOT } from './paths.js';
import type { Entry } from './types.js';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export function contentTypeOf(name: string): string {
  return mimeLookup(name) || DEFAULT_CONTENT_TYPE;
}

/**
 * A file shows the modification time its writer gave TeraBox (`local_mtime`) and an ETag from its
 * content and that time, not from its fs_id: a file written in write-back mode keeps the size, mtime
 * and ETag it had while pending (entryFromPending) when its commit lands.
 */
export function entryFromRemote(r: RemoteEntry, etag: Etagger): Entry {
  const mtimeMs = (r.isDir ? r.mtime : (r.localMtime ?? r.mtime)) * 1000;
  const size = r.isDir ? 0 : r.size;
  const entry: Entry = {
    path: r.path,
    name: r.name,
    isDir: r.isDir,
    size,
    mtime: new Date(mtimeMs),
    ctime: new Date(r.ctime * 1000),
    etag: etag({ fsId: r.isDir || !r.md5 ? r.fsId : 0, size, mtimeMs, md5: r.md5 }),
  };
  if (!r.isDir) entry.contentType = contentTypeOf(r.name);
  return entry;
}

export function entryFromOverlay(row: OverlayRow, etag: Etagger): Entry {
  const name = baseName(row.path);
  return {
    path: row.path,
    name,
    isDir: false,
    size: row.size,
    mtime: new Date(row.mtime),
    ctime: new Date(row.ctime),
    // The content file id changes with every write, so two writes in one millisecond still differ.
    etag: etag({ fsId: 0, size: row.size, mtimeMs: row.mtime, md5: row.content ?? 'empty' }),
    contentType: contentTypeOf(name),
  };
}

/** A file whose commit to TeraBox is pending (write-back): the entry it will have once it lands. */
export function entryFromPending(p: { path: string; size: number; mtime: number; md5: string }, etag: Etagger): Entry {
  const mtimeMs = p.mtime * 1000;
  const name = baseName(p.path);
  return {
    path: p.path,
    name,
    isDir: false,
    size: p.size,
    mtime: new Date(mtimeMs),
    ctime: new Date(mtimeMs),
    etag: etag({ fsId: 0, size: p.size, mtimeMs, md5: p.md5 }),
    contentType: contentTypeOf(name),
  };
}

/** The root collection: TeraBox has no entry for it, so it is synthetic with a fixed identity. */
export function rootEntry(etag: Etagger): Entry {
  const epoch = new Date(0);
  return {
    path: ROOT,
    name: '',
    isDir: true,
    size: 0,
    mtime: epoch,
    ctime: epoch,
    etag: etag({ fsId: 0, size: 0, mtimeMs: 0, md5: 'root' }),
  };
}
