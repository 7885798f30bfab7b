// /api/filemetas (GET or POST): metadata for a JSON array of paths (`target`), md5 in plain hex.
// dlink=1 adds a download link per file: the redirecting dlink, or with origin=dlna a direct data URL.
// Missing paths make the answer errno 12 with that item's errno -9.

import { Errno } from '../../terabox/wire.js';
import type { Ctx } from '../http/context.js';
import { BadRequest } from '../http/params.js';
import { dataUrl, dlinkUrl } from '../links.js';
import { normalizePath } from '../paths.js';
import { wireItem } from './items.js';

export async function filemetas(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const params = await ctx.params();
  const target = params.json('target');
  if (!Array.isArray(target) || !target.every((t) => typeof t === 'string')) throw new BadRequest('target must be a JSON array of paths');
  const withLink = params.get('dlink') === '1';
  const direct = params.get('origin') === 'dlna';
  const { tree, knobs } = ctx.emu;
  let missing = false;
  const info = (target as string[]).map((raw) => {
    const path = normalizePath(raw, knobs);
    const entry = path === null ? null : tree.get(account.id, path);
    if (!entry) {
      missing = true;
      return { errno: Errno.NOT_FOUND, path: raw };
    }
    const item = wireItem(entry);
    if (withLink && !entry.isDir) item.dlink = direct ? dataUrl(ctx, account, entry) : dlinkUrl(ctx, account, entry);
    return item;
  });
  await ctx.json({ errno: missing ? Errno.PARTIAL : 0, info });
}
