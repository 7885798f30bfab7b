// /api/precreate (and the xpan alias): opens an upload session. A real block list answers the
// indexes whose MD5 the shared block store lacks. When TeraBox already holds the whole content —
// every block of a real list (and their sizes add up), or a stored content matching the rapid
// parameters (content-md5, slice-md5, size) — the file is committed here with the request's rtype and
// the answer is return_type 2 with the new entry in `info`, as Baidu's API does (docs/terabox-protocol.md
// §2.8.2, §7); the knob precreateRapid can answer the bare or the uncommitted 2 instead. Otherwise
// return_type 1 with the needed list (empty when nothing is missing). The placeholder list never
// matches anything: it answers every index, return_type 1.
// The answer carries an `uploadsign` that superfile2 checks under the requireUploadSign knob.
// Needs a live jsToken (4000023); refuses files over the account's limit (58), over the quota (-10),
// bad names (-7) and 0-byte files (knob emptyFileErrno).

import { createHmac } from 'node:crypto';
import { Errno, PLACEHOLDER_BLOCK_MD5 } from '../../terabox/wire.js';
import type { EmulatorCore } from '../core.js';
import type { Ctx } from '../http/context.js';
import type { Params } from '../http/params.js';
import { normalizePath } from '../paths.js';
import type { Account } from '../store/accounts.js';
import type { Content } from '../store/contents.js';
import { blockListParam, checkBlocks } from './create.js';
import { wireItem } from './items.js';
import { parseRtype, placeFile } from './place.js';

/** TeraBox's upload id: "N1-" + base64("<server ip>:<unix time>:<request id>"). */
function newUploadId(ctx: Ctx): string {
  const ip = ctx.socket.localAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
  return 'N1-' + Buffer.from(`${ip}:${Math.floor(Date.now() / 1000)}:${ctx.requestId}`).toString('base64');
}

/** The uploadsign precreate hands out for an upload id (stable, so a resumed session gets the same). */
export function uploadSignFor(emu: EmulatorCore, uploadId: string): string {
  return createHmac('sha256', emu.linkSecret).update(`uploadsign\n${uploadId}`).digest('hex').slice(0, 32);
}

const PLACEHOLDERS: readonly string[] = PLACEHOLDER_BLOCK_MD5;
const HEX32 = /^[0-9a-f]{32}$/;

/** The stored content this request names in full, if TeraBox holds all of it. */
async function knownContent(
  ctx: Ctx,
  params: Params,
  blockList: string[],
  placeholder: boolean,
  size: number | undefined,
): Promise<Content | null> {
  const { emu } = ctx;
  if (size === undefined || size <= 0) return null;
  if (!placeholder && blockList.length > 0 && blockList.every((m) => emu.blocks.has(m))) {
    const checked = checkBlocks(ctx, blockList, size);
    if (checked.ok) return emu.contents.ensure(checked.blockList, size);
  }
  const md5 = params.get('content-md5')?.toLowerCase();
  const sliceMd5 = params.get('slice-md5')?.toLowerCase();
  if (md5 && HEX32.test(md5)) {
    const content = await emu.contents.findByMd5(md5, size);
    if (content && (!sliceMd5 || content.hashes?.sliceMd5 === sliceMd5)) return content;
  }
  return null;
}

async function answerRapid(ctx: Ctx, account: Account, params: Params, path: string, content: Content, uploadId: string): Promise<void> {
  const { emu } = ctx;
  const mode = emu.knobs.precreateRapid;
  const base = { errno: 0, path, uploadid: uploadId, return_type: 2, block_list: [] as number[], uploadsign: uploadSignFor(emu, uploadId) };
  if (mode === 'no-commit') return ctx.json(base);
  const rtype = parseRtype(params.int('rtype'), 1);
  if (rtype === null) return ctx.fail(Errno.PARAM, 'param error');
  const placed = placeFile(emu, account, path, content, rtype, params.int('local_mtime'));
  if (!placed.ok) return ctx.fail(placed.errno, placed.errmsg);
  emu.sessions.end(account.id, uploadId);
  return ctx.json(mode === 'bare' ? base : { ...base, info: wireItem(placed.entry) });
}

export async function precreate(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const params = await ctx.params();
  if (!(await ctx.requireTokens(account, params))) return;
  const { emu } = ctx;
  const { knobs, tree } = emu;
  const path = normalizePath(params.get('path'), knobs);
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
  const content = await knownContent(ctx, params, blockList, placeholder, size);
  if (content) return answerRapid(ctx, account, params, path, content, uploadId);
  await ctx.json({ errno: 0, path, uploadid: uploadId, return_type: 1, block_list: needed, uploadsign: uploadSignFor(emu, uploadId) });
}
