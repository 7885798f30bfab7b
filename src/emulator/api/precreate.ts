// /api/precreate (and the xpan alias): opens an upload session. A real block list answers the
// indexes whose MD5 the shared block store lacks, and return_type 2 when it lacks none (the client
// still calls create: precreate never commits). The official client's placeholder list answers every
// index it has, return_type 1. Needs a live jsToken (4000023); refuses files over the account's
// limit (58), over the quota (-10), bad names (-7) and 0-byte files (knob emptyFileErrno).

import { Errno, PLACEHOLDER_BLOCK_MD5 } from '../../terabox/wire.js';
import type { Ctx } from '../http/context.js';
import { normalizePath } from '../paths.js';
import { blockListParam } from './create.js';

/** TeraBox's upload id: "N1-" + base64("<server ip>:<unix time>:<request id>"). */
function newUploadId(ctx: Ctx): string {
  const ip = ctx.socket.localAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
  return 'N1-' + Buffer.from(`${ip}:${Math.floor(Date.now() / 1000)}:${ctx.requestId}`).toString('base64');
}

const PLACEHOLDERS: readonly string[] = PLACEHOLDER_BLOCK_MD5;

export async function precreate(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const params = await ctx.params();
  if (!(await ctx.requireTokens(account, params))) return;
  const { emu } = ctx;
  const { knobs, tree } = emu;
  const path = normalizePath(params.get('path'), knobs.invalidNameChars);
  if (path === null || path === '/') return ctx.fail(Errno.INVALID_NAME, 'param path file name is invalid');
  const size = params.int('size');
  if (size !== undefined) {
    if (size < 0) return ctx.fail(Errno.PARAM, 'param error');
    if (size === 0 && knobs.emptyFileErrno !== null) return ctx.fail(knobs.emptyFileErrno, 'param error');
    if (size > account.maxFileSize) return ctx.fail(Errno.FILE_TOO_LARGE, 'upload single file vip limit');
    const existing = tree.get(account.id, path);
    const freed = existing && !existing.isDir ? existing.size : 0;
    if (tree.used(account.id) - freed + size > account.quota) return ctx.fail(Errno.QUOTA, 'space insufficient');
  }
  const blockList = blockListParam(params, true)!;
  const placeholder = blockList.length > 0 && blockList.every((m) => PLACEHOLDERS.includes(m));
  const needed = placeholder ? blockList.map((_, i) => i) : blockList.flatMap((m, i) => (emu.blocks.has(m) ? [] : [i]));

  const now = Date.now();
  const given = params.get('uploadid');
  const uploadId = given && emu.sessions.live(account.id, given, now) ? given : newUploadId(ctx);
  emu.sessions.save({ uploadId, accountId: account.id, path, size: size ?? null, blockList }, now + knobs.uploadIdTtlMs);
  await ctx.json({ errno: 0, path, uploadid: uploadId, return_type: needed.length === 0 ? 2 : 1, block_list: needed });
}
