// /api/create (and the xpan alias): isdir=1 makes a directory; isdir=0 commits an upload from its
// block list. Every listed block must be stored and the part sizes must add up to `size` (errno 10),
// no non-last part may be under minPartSize (31299), at most maxParts parts (10). The upload id is
// not required: any block list whose blocks are all stored commits (Baidu-style), which is what
// resume and rapid upload rely on. Answers the entry with its md5 obfuscated.

import { Errno } from '../../terabox/wire.js';
import { unixNow } from '../core.js';
import type { Ctx } from '../http/context.js';
import { BadRequest, type Params } from '../http/params.js';
import { normalizePath } from '../paths.js';
import type { Account } from '../store/accounts.js';
import { etagOf } from '../store/contents.js';
import { createAnswer } from './items.js';
import { parseRtype, placeDir, placeFile, type Placed } from './place.js';

const EMPTY_MD5 = etagOf([]);
const HEX32 = /^[0-9a-f]{32}$/;

/** The block_list parameter as lowercase strings; BadRequest unless a JSON array of strings. */
export function blockListParam(params: Params, required: boolean): string[] | undefined {
  const list = params.json('block_list');
  if (list === undefined && !required) return undefined;
  if (!Array.isArray(list) || !list.every((m) => typeof m === 'string')) throw new BadRequest('block_list must be a JSON array of md5s');
  return (list as string[]).map((m) => m.toLowerCase());
}

export type Checked = { ok: true; blockList: string[] } | { ok: false; errno: number; errmsg: string };

/** The commit rules for a block list of `size` bytes. */
export function checkBlocks(ctx: Ctx, blockList: string[], size: number): Checked {
  const { knobs, blocks } = ctx.emu;
  const superFail: Checked = { ok: false, errno: Errno.CREATE_SUPERFILE_FAILED, errmsg: 'create super file failed' };
  if (size === 0) {
    if (knobs.emptyFileErrno !== null) return { ok: false, errno: knobs.emptyFileErrno, errmsg: 'param error' };
    return blockList.every((m) => m === EMPTY_MD5) ? { ok: true, blockList: [] } : superFail;
  }
  if (blockList.length === 0 || blockList.length > knobs.maxParts || !blockList.every((m) => HEX32.test(m))) return superFail;
  const sizes = blocks.sizes(blockList);
  if (sizes.some((s) => s === null)) return superFail;
  if (sizes.slice(0, -1).some((s) => s! < knobs.minPartSize)) {
    return { ok: false, errno: Errno.PART_TOO_SMALL, errmsg: 'Size of superfile2 first part should not be smaller than 4MB' };
  }
  if (sizes.reduce<number>((a, s) => a + s!, 0) !== size) return superFail;
  return { ok: true, blockList };
}

async function answer(ctx: Ctx, placed: Placed): Promise<void> {
  if (!placed.ok) return ctx.fail(placed.errno, placed.errmsg);
  await ctx.json({ ...createAnswer(placed.entry, unixNow()) });
}

async function commitFile(ctx: Ctx, account: Account, params: Params, path: string): Promise<void> {
  const rtype = parseRtype(params.int('rtype'), 1);
  const size = params.int('size');
  if (rtype === null || size === undefined || size < 0) return ctx.fail(Errno.PARAM, 'param error');
  const checked = checkBlocks(ctx, blockListParam(params, true)!, size);
  if (!checked.ok) return ctx.fail(checked.errno, checked.errmsg);
  const { emu } = ctx;
  const content = emu.contents.ensure(checked.blockList, size);
  const placed = placeFile(emu, account, path, content, rtype, params.int('local_mtime'));
  const uploadId = params.get('uploadid');
  if (placed.ok && uploadId) emu.sessions.end(account.id, uploadId);
  await answer(ctx, placed);
}

export async function create(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const params = await ctx.params();
  if (ctx.xpan && !(await ctx.requireTokens(account, params))) return;
  const path = normalizePath(params.get('path'), ctx.emu.knobs);
  if (path === null || path === '/') return ctx.fail(Errno.INVALID_NAME, 'param path file name is invalid');
  if (params.int('isdir', 0) === 1) {
    // mkdir without rtype fails on an existing path (-8, which clients treat as "already there").
    const rtype = parseRtype(params.int('rtype'), 0);
    if (rtype === null) return ctx.fail(Errno.PARAM, 'param error');
    return answer(ctx, placeDir(ctx.emu, account, path, rtype, params.int('local_mtime')));
  }
  await commitFile(ctx, account, params, path);
}
