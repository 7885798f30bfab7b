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
export async function listPage(ctx: ClientContext, dir: string, page: number, num = LIST_PAGE_SIZE): Promise<RemoteEntry[]> {
  assertRemotePath(dir, ENDPOINTS.list.path);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(num) || num < 1) {
    throw new TeraBoxError(`${ENDPOINTS.list.path}: page and num must be positive integers`, {
      code: 'BAD_REQUEST',
      endpoint: ENDPOINTS.list.path,
    });
  }
  const { body } = await ctx.caller.call<WireListResponse>(ENDPOINTS.list, {
    query: { dir, page, num, order: 'name', desc: 0 },
  });
  return (Array.isArray(body.list) ? body.list : []).map(entryFromItem);
}

/**
 * Every entry of a directory: pages until a short page. A page that brings nothing new also ends
 * the walk, so a server that ignores `page` cannot loop us forever.
 *
 * Whether the live service serves `num=1000` per page is not established (the web client asks 100),
 * and a server that serves fewer than asked would make its first page look like the last: the rest of
 * the folder would vanish without an error. So a short first page of a round size (a multiple of 100,
 * as page caps are) is taken as the server's page size and confirmed by one more call; a folder that
 * really holds exactly that many entries costs that one extra call.
 */
export async function list(ctx: ClientContext, dir: string): Promise<RemoteEntry[]> {
  const seen = new Set<number>();
  const out: RemoteEntry[] = [];
  let pageSize = LIST_PAGE_SIZE;
  for (let page = 1; ; page++) {
    const entries = await listPage(ctx, dir, page);
    let fresh = 0;
    for (const e of entries) {
      if (seen.has(e.fsId)) continue;
      seen.add(e.fsId);
      out.push(e);
      fresh++;
    }
    if (page === 1 && entries.length < pageSize && entries.length > 0 && entries.length % 100 === 0) {
      pageSize = entries.length;
      continue;
    }
    if (entries.length < pageSize || fresh === 0) return out;
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

export async function stat(ctx: ClientContext, paths: string[]): Promise<(RemoteEntry | null)[]> {
  const endpoint = ENDPOINTS.filemetas.path;
  for (const p of paths) assertRemotePath(p, endpoint);
  const out: (RemoteEntry | null)[] = [];
  for (const batch of batches(paths, STAT_BATCH)) {
    const { body, requestId } = await ctx.caller.call<WireFilemetasResponse>(ENDPOINTS.filemetas, {
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
export async function mkdir(ctx: ClientContext, path: string): Promise<RemoteEntry> {
  const endpoint = ENDPOINTS.mkdir.path;
  assertRemotePath(path, endpoint);
  if (path === '/') throw failure(endpoint, { errno: Errno.EXISTS, detail: path });
  const reply = await ctx.caller.call<WireCreateResponse>(ENDPOINTS.mkdir, {
    query: { a: 'commit' },
    form: { path, isdir: 1, rtype: 0, block_list: '[]' },
    accept: [Errno.EXISTS],
  });
  if (reply.errno === 0 && typeof reply.body.path === 'string' && reply.body.fs_id !== undefined) {
    return entryFromCreate(reply.body);
  }
  const [entry] = await stat(ctx, [path]);
  if (entry?.isDir) return entry;
  throw failure(endpoint, { errno: entry ? Errno.EXISTS : Errno.NOT_FOUND, requestId: reply.requestId, detail: path });
}
