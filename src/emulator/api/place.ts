// Putting a new file or directory at a path, the way create, mkdir and rapidupload do: implicit
// parent directories, the size and quota limits, and the rtype conflict rules (reference §2.8.4):
// 0 fail with -8, 1 rename to "name(1).ext", 2 rename unless the same content is already there (then
// a no-op answering the existing entry), 3 overwrite. All in one transaction, so an overwritten file
// stays visible until the moment the new one replaces it.

import { Errno, type Rtype } from '../../terabox/wire.js';
import type { EmulatorCore } from '../core.js';
import { unixNow } from '../core.js';
import { joinPath, baseName, numberedName, parentOf } from '../paths.js';
import type { Account } from '../store/accounts.js';
import type { Content } from '../store/contents.js';
import type { Entry } from '../store/tree.js';

export type Placed = { ok: true; entry: Entry } | { ok: false; errno: number; errmsg: string };

const fail = (errno: number, errmsg: string): Placed => ({ ok: false, errno, errmsg });

const CONFLICT = fail(Errno.EXISTS, 'file already exists');
/** An ancestor of the path is a file: the parent cannot exist (we answer -11, "parent does not exist"). */
const PARENT_IS_FILE = fail(Errno.PARENT_MISSING, 'parent directory does not exist');

export function parseRtype(value: number | undefined, fallback: Rtype): Rtype | null {
  if (value === undefined) return fallback;
  return value === 0 || value === 1 || value === 2 || value === 3 ? value : null;
}

/** The first "name(n)" free in `dir`. */
export function freePath(emu: EmulatorCore, accountId: number, path: string, isDir: boolean): string {
  const dir = parentOf(path);
  const name = baseName(path);
  for (let n = 1; ; n++) {
    const candidate = joinPath(dir, numberedName(name, n, isDir));
    if (!emu.tree.get(accountId, candidate)) return candidate;
  }
}

export function placeFile(emu: EmulatorCore, account: Account, path: string, content: Content, rtype: Rtype, localMtime?: number): Placed {
  return emu.db.transaction((): Placed => {
    const { tree } = emu;
    if (content.size > account.maxFileSize) return fail(Errno.FILE_TOO_LARGE, 'upload single file vip limit');
    const existing = tree.get(account.id, path);
    const replaced = existing && !existing.isDir && rtype === 3 ? existing.size : 0;
    if (tree.used(account.id) - replaced + content.size > account.quota) return fail(Errno.QUOTA, 'space insufficient');
    const now = unixNow();
    if (!tree.mkdirs(account.id, parentOf(path), now)) return PARENT_IS_FILE;
    let target = path;
    if (existing) {
      if (rtype === 0) return CONFLICT;
      if (rtype === 2 && !existing.isDir && existing.content === content.key) return { ok: true, entry: existing };
      if (rtype === 3) {
        // A directory is never replaced by a file.
        if (existing.isDir) return CONFLICT;
        tree.remove(account.id, path);
      } else {
        target = freePath(emu, account.id, path, false);
      }
    }
    const entry = tree.insert(account.id, { path: target, isDir: false, size: content.size, content: content.key, time: now, localMtime });
    return { ok: true, entry };
  })();
}

/** mkdir: rtype 0 answers -8 on any conflict; 1 picks "name(1)"; 2/3 answer an existing directory as is. */
export function placeDir(emu: EmulatorCore, account: Account, path: string, rtype: Rtype, localMtime?: number): Placed {
  return emu.db.transaction((): Placed => {
    const { tree } = emu;
    const now = unixNow();
    if (!tree.mkdirs(account.id, parentOf(path), now)) return PARENT_IS_FILE;
    const existing = tree.get(account.id, path);
    let target = path;
    if (existing) {
      if (rtype === 0) return CONFLICT;
      if (existing.isDir && rtype !== 1) return { ok: true, entry: existing };
      target = freePath(emu, account.id, path, true);
    }
    return { ok: true, entry: tree.insert(account.id, { path: target, isDir: true, size: 0, content: null, time: now, localMtime }) };
  })();
}
