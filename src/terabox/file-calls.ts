// Reading and creating directories: list (paged), filemetas (stat), mkdir.

import type { RemoteEntry } from './api.js';
import type { ClientContext } from './context.js';
import { entryFromCreate, entryFromItem } from './entries.js';
import { ENDPOINTS } from './endpoints.js';
import { classify, failure, TeraBoxError } from './errors.js';
import { batches } from './params.js';
import { assertRemotePath } from './paths.js';
import { Errno, type WireCreateResponse, type WireFileItem, type WireFilemetasResponse, type WireListResponse } from './wire.js';

/** Entries per /api/list page: one call per 1,000 entries (§2.1). */
export const LIST_PAGE_SIZE = 1000;
/** Paths per filemetas call. */
const STAT_BATCH = 100;

/** One page (1-based) of a directory. */
export async function listPage(calls: ClientContext, dir: string, page: number, num = LIST_PAGE_SIZE): Promise<RemoteEntry[]> {
  assertRemotePath(dir, ENDPOINTS.list.path);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(num) || num < 1) {
    throw new TeraBoxError(`${ENDPOINTS.list.path}: page and num must be positive integers`, {
      code: 'BAD_REQUEST',
      endpoint: ENDPOINTS.list.path,
    });
  }
  const { body } = await calls.caller.call<WireListResponse>(ENDPOINTS.list, {
    query: { dir, page, num, order: 'name', desc: 0 },
  });
  return (Array.isArray(body.list) ? body.list : []).map(entryFromItem);
}

/**
 * Every entry of a directory: 1,000 a page (Baidu's web cap; TeraBox documents none), page after page
 * until an empty one, as OpenList does (docs/terabox-protocol.md §2.1, §7): a server that serves fewer
 * than asked cannot make the rest of the folder vanish, at the cost of one extra call per listing.
 * Entries are de-duplicated by fs_id, since pages shift while the folder changes; a page that brings
 * nothing new also ends the walk, so a server that ignores `page` cannot loop us forever.
 */
export async function list(calls: ClientContext, dir: string): Promise<RemoteEntry[]> {
  const seen = new Set<number>();
  const out: RemoteEntry[] = [];
  for (let page = 1; ; page++) {
    const entries = await listPage(calls, dir, page);
    let fresh = 0;
    for (const e of entries) {
      if (seen.has(e.fsId)) continue;
      seen.add(e.fsId);
      out.push(e);
      fresh++;
    }
    if (entries.length === 0 || fresh === 0) return out;
  }
}

/**
 * Matches filemetas items to the asked paths: by path where the item names one, by position for
 * path-less items (a missing path answers a bare `{errno:-9}`) when the counts agree.
 */
function itemsFor(paths: string[], info: WireFileItem[]): (WireFileItem | undefined)[] {
  const byPath = new Map(info.filter((i) => typeof i?.path === 'string').map((i) => [i.path, i]));
  return paths.map((p, i) => {
    const positional = info.length === paths.length ? info[i] : undefined;
    if (positional && (typeof positional.path !== 'string' || positional.path === p)) return positional;
    return byPath.get(p);
  });
}

export async function stat(calls: ClientContext, paths: string[]): Promise<(RemoteEntry | null)[]> {
  const endpoint = ENDPOINTS.filemetas.path;
  for (const p of paths) assertRemotePath(p, endpoint);
  const out: (RemoteEntry | null)[] = [];
  for (const batch of batches(paths, STAT_BATCH)) {
    const { body, requestId } = await calls.caller.call<WireFilemetasResponse>(ENDPOINTS.filemetas, {
      form: { target: JSON.stringify(batch) },
      accept: [Errno.PARTIAL, Errno.NOT_FOUND],
    });
    const items = itemsFor(batch, Array.isArray(body.info) ? body.info : []);
    batch.forEach((path, i) => {
      const item = items[i];
      const errno = item?.errno ?? 0;
      if (item === undefined || classify({ errno }).code === 'NOT_FOUND') {
        out.push(null);
      } else if (errno !== 0) {
        throw failure(endpoint, { errno, requestId, detail: path });
      } else {
        out.push(entryFromItem(item));
      }
    });
  }
  return out;
}

/** Creates a directory; one that already exists counts as done (so the call is safe to repeat). */
export async function mkdir(calls: ClientContext, path: string): Promise<RemoteEntry> {
  const endpoint = ENDPOINTS.mkdir.path;
  assertRemotePath(path, endpoint);
  if (path === '/') throw failure(endpoint, { errno: Errno.EXISTS, detail: path });
  const reply = await calls.caller.call<WireCreateResponse>(ENDPOINTS.mkdir, {
    query: { a: 'commit' },
    form: { path, isdir: 1, rtype: 0, block_list: '[]' },
    accept: [Errno.EXISTS],
  });
  if (reply.errno === 0 && typeof reply.body.path === 'string' && reply.body.fs_id !== undefined) {
    return entryFromCreate(reply.body);
  }
  const [entry] = await stat(calls, [path]);
  if (entry?.isDir) return entry;
  throw failure(endpoint, { errno: entry ? Errno.EXISTS : Errno.NOT_FOUND, requestId: reply.requestId, detail: path });
}
