// /api/filemanager: delete, move, copy, rename. The filelist goes as `%20`-encoded JSON in the form
// body, at most 100 items per request, and every item's errno is checked (a top-level 0 or 12 can
// hide per-item failures, §2.5). Batches run in order; a failing batch stops the rest, and earlier
// batches stay applied.

import type { MoveItem, TransferOptions } from './api.js';
import type { ClientContext } from './context.js';
import { ENDPOINTS } from './endpoints.js';
import { failure, TeraBoxError } from './errors.js';
import { batches } from './params.js';
import { assertRemotePath } from './paths.js';
import { Errno, type FilemanagerOpera, type WireFilemanagerResponse, type WireMoveItem, type WireRenameItem } from './wire.js';

export const FILEMANAGER_BATCH = 100;

const ENDPOINT = ENDPOINTS.filemanager.path;

function assertName(name: string): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\0\r\n]/.test(name)) {
    throw new TeraBoxError(`${ENDPOINT}: not a valid file name: ${JSON.stringify(name)}`, { code: 'INVALID_NAME', endpoint: ENDPOINT });
  }
}

async function run<T>(calls: ClientContext, opera: FilemanagerOpera, items: readonly T[], pathOf: (item: T) => string): Promise<void> {
  for (const batch of batches(items, FILEMANAGER_BATCH)) {
    const { body, errno, requestId } = await calls.caller.call<WireFilemanagerResponse>(ENDPOINTS.filemanager, {
      query: { opera, onnest: 'fail' },
      form: { filelist: JSON.stringify(batch) },
      accept: [Errno.PARTIAL],
    });
    const info = Array.isArray(body.info) ? body.info : [];
    for (const [i, item] of info.entries()) {
      if (item && typeof item.errno === 'number' && item.errno !== 0) {
        const asked = batch[i];
        const path = typeof item.path === 'string' ? item.path : asked !== undefined ? pathOf(asked) : '?';
        throw failure(ENDPOINT, { errno: item.errno, requestId, detail: `${opera} ${path}` });
      }
    }
    if (errno !== 0) throw failure(ENDPOINT, { errno, requestId, detail: opera });
  }
}

function assertNotRoot(path: string): void {
  assertRemotePath(path, ENDPOINT);
  if (path === '/') throw new TeraBoxError(`${ENDPOINT}: refusing to touch the root`, { code: 'BAD_REQUEST', endpoint: ENDPOINT });
}

export async function remove(calls: ClientContext, paths: string[]): Promise<void> {
  for (const p of paths) assertNotRoot(p);
  await run<string>(calls, 'delete', paths, (p) => p);
}

function transferItems(items: MoveItem[], opts: TransferOptions): WireMoveItem[] {
  const ondup = opts.overwrite ? 'overwrite' : 'fail';
  return items.map((item) => {
    assertNotRoot(item.path);
    assertRemotePath(item.dest, ENDPOINT);
    assertName(item.newname);
    return { path: item.path, dest: item.dest, newname: item.newname, ondup };
  });
}

export async function move(calls: ClientContext, items: MoveItem[], opts: TransferOptions = {}): Promise<void> {
  await run(calls, 'move', transferItems(items, opts), (i) => i.path);
}

export async function copy(calls: ClientContext, items: MoveItem[], opts: TransferOptions = {}): Promise<void> {
  await run(calls, 'copy', transferItems(items, opts), (i) => i.path);
}

export async function rename(calls: ClientContext, items: { path: string; newname: string }[]): Promise<void> {
  const wire: WireRenameItem[] = items.map((item) => {
    assertNotRoot(item.path);
    assertName(item.newname);
    return { path: item.path, newname: item.newname };
  });
  await run(calls, 'rename', wire, (i) => i.path);
}
