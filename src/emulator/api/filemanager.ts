// /api/filemanager?opera=delete|move|rename|copy (and the xpan alias). `filelist` is a JSON array
// (form-decoded, so `+` reads as a space and `%2B` as a plus, like any form). Needs a live jsToken
// (450016). `ondup` (fail | overwrite | newcopy) comes from the item, else the body or query, else
// fail. Each item is applied on its own in order with its own errno (-9 missing, -8 exists with
// fail, -7 bad name or the root, 2 for a move into itself); errno 12 when any failed. More than
// 100 items: errno 3 and nothing applied (the reference's "no more than 100 files at a time").
// Directories move, copy and delete with their whole subtree. Always synchronous; async=2 adds a taskid.
// A missing destination directory is created (as create does for parents).

import { Errno } from '../../terabox/wire.js';
import type { Ctx } from '../http/context.js';
import { BadRequest } from '../http/params.js';
import { isWithin, joinPath, baseName, normalizePath, parentOf, validName } from '../paths.js';
import type { Account } from '../store/accounts.js';
import { freePath } from './place.js';

const MAX_ITEMS = 100;
type Ondup = 'fail' | 'overwrite' | 'newcopy';
type Opera = 'delete' | 'move' | 'rename' | 'copy';

interface ItemResult {
  errno: number;
  path: string;
  [k: string]: unknown;
}

function ondupOf(value: unknown, fallback: Ondup): Ondup {
  return value === 'overwrite' || value === 'newcopy' || value === 'fail' ? value : fallback;
}

export async function filemanager(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const params = await ctx.params();
  if (!(await ctx.requireTokens(account, params))) return;
  const opera = params.get('opera');
  if (opera !== 'delete' && opera !== 'move' && opera !== 'rename' && opera !== 'copy') throw new BadRequest('unknown opera');
  const filelist = params.json('filelist');
  if (!Array.isArray(filelist)) throw new BadRequest('filelist must be a JSON array');
  if (filelist.length > MAX_ITEMS) return ctx.fail(Errno.TOO_MANY_ITEMS, 'no more than 100 files at a time');
  const ondup = ondupOf(params.get('ondup'), 'fail');

  const info = filelist.map((item) => ctx.emu.db.transaction(() => apply(ctx, account, opera, item, ondup))());
  const failed = info.some((r) => r.errno !== 0);
  const extra = params.get('async') === '2' ? { taskid: ctx.requestId } : {};
  await ctx.json({ errno: failed ? Errno.PARTIAL : 0, info, ...extra });
}

function apply(ctx: Ctx, account: Account, opera: Opera, item: unknown, listOndup: Ondup): ItemResult {
  const rules = ctx.emu.knobs;
  const { tree } = ctx.emu;
  if (opera === 'delete') {
    const raw = typeof item === 'string' ? item : '';
    const path = normalizePath(raw, rules);
    if (path === null || path === '/') return { errno: Errno.INVALID_NAME, path: raw };
    if (!tree.get(account.id, path)) return { errno: Errno.NOT_FOUND, path: raw };
    tree.remove(account.id, path);
    return { errno: 0, path };
  }

  const obj = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
  const raw = typeof obj.path === 'string' ? obj.path : '';
  const from = normalizePath(raw, rules);
  if (from === null || from === '/') return { errno: Errno.INVALID_NAME, path: raw };
  // move/copy without newname keep the name; rename needs one.
  const newname = typeof obj.newname === 'string' ? obj.newname : opera === 'rename' ? '' : baseName(from);
  const destDir = opera === 'rename' ? parentOf(from) : normalizePath(typeof obj.dest === 'string' ? obj.dest : undefined, rules);
  if (destDir === null || !validName(newname, rules)) return { errno: Errno.INVALID_NAME, path: raw };
  const result = { path: from, dest: destDir, newname };
  const source = tree.get(account.id, from);
  if (!source) return { errno: Errno.NOT_FOUND, ...result };
  let to = joinPath(destDir, newname);
  // The target as a whole obeys the path limit too (a long name into a deep folder).
  if (normalizePath(to, rules) === null) return { errno: Errno.INVALID_NAME, ...result };
  // Into its own subtree: refused as a parameter error.
  if (to !== from && isWithin(to, from)) return { errno: Errno.PARAM, ...result };
  const ondup = ondupOf(obj.ondup, listOndup);
  if (to === from && (opera !== 'copy' || ondup === 'overwrite')) return { errno: 0, ...result };

  const existing = tree.get(account.id, to);
  let replace = false;
  if (existing) {
    if (ondup === 'fail') return { errno: Errno.EXISTS, ...result };
    if (ondup === 'newcopy') to = freePath(ctx.emu, account.id, to, source.isDir);
    // Overwriting an ancestor of the source would delete the source with it.
    else if (isWithin(from, to)) return { errno: Errno.PARAM, ...result };
    else replace = true;
  }
  if (opera === 'copy') {
    const added = tree.subtreeSize(account.id, from) - (replace ? tree.subtreeSize(account.id, to) : 0);
    if (tree.used(account.id) + added > account.quota) return { errno: Errno.QUOTA, ...result };
  }
  const now = Math.floor(Date.now() / 1000);
  if (!tree.mkdirs(account.id, destDir, now)) return { errno: Errno.PARENT_MISSING, ...result };
  if (replace) tree.remove(account.id, to);
  if (opera === 'copy') tree.copy(account.id, from, to, now);
  else tree.move(account.id, from, to);
  return { errno: 0, ...result, to };
}
