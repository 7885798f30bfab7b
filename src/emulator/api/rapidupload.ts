// /api/rapidupload: hash-only upload (reference §2.8.5). When some stored content (any account's)
// has this content-md5 and content-length (and slice-md5, when given), the file is created from it
// with the rtype rules; otherwise errno 404. Over 20 GiB: errno 2. An account with rapidUpload off
// answers 413 (the "join the referral program" answer), so clients can test their fallback.

import { Errno } from '../../terabox/wire.js';
import { GiB } from '../../terabox/chunk-size.js';
import type { Ctx } from '../http/context.js';
import { normalizePath } from '../paths.js';
import { wireItem } from './items.js';
import { parseRtype, placeFile } from './place.js';

const RAPID_MAX = 20 * GiB;
const HEX32 = /^[0-9a-f]{32}$/;

export async function rapidupload(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const params = await ctx.params();
  const { emu } = ctx;
  const path = normalizePath(params.get('path'), emu.knobs);
  if (path === null || path === '/') return ctx.fail(Errno.INVALID_NAME, 'param path file name is invalid');
  const size = params.int('content-length');
  const md5 = params.get('content-md5')?.toLowerCase();
  const sliceMd5 = params.get('slice-md5')?.toLowerCase();
  const rtype = parseRtype(params.int('rtype'), 1);
  if (size === undefined || size < 0 || !md5 || !HEX32.test(md5) || rtype === null) return ctx.fail(Errno.PARAM, 'param error');
  if (size > RAPID_MAX) return ctx.fail(Errno.PARAM, 'param error');
  if (size === 0 && emu.knobs.emptyFileErrno !== null) return ctx.fail(emu.knobs.emptyFileErrno, 'param error');
  if (!account.rapidUpload) return ctx.fail(Errno.RAPID_NOT_ALLOWED, 'rapid upload needs the referral program');
  const content = await emu.contents.findByMd5(md5, size);
  if (!content || (sliceMd5 && content.hashes?.sliceMd5 !== sliceMd5)) return ctx.fail(Errno.RAPID_NOT_FOUND, 'file not found');
  const placed = placeFile(emu, account, path, content, rtype, params.int('local_mtime'));
  if (!placed.ok) return ctx.fail(placed.errno, placed.errmsg);
  await ctx.json({ errno: 0, info: wireItem(placed.entry) });
}
