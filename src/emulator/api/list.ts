// /api/list (GET or POST) and the xpan `method=list` alias: one page of a directory, directories
// first. A missing directory, or a file given as `dir`, answers errno -9.

import { Errno } from '../../terabox/wire.js';
import type { Ctx } from '../http/context.js';
import { normalizePath } from '../paths.js';
import type { ListOrder } from '../store/tree.js';
import { wireItem } from './items.js';

export async function list(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const params = await ctx.params();
  if (ctx.xpan && !(await ctx.requireTokens(account, params))) return;
  const { knobs, tree } = ctx.emu;
  const dir = normalizePath(params.get('dir') ?? '/', knobs);
  if (dir === null) return ctx.fail(Errno.INVALID_NAME, 'param path file name is invalid');
  const entry = tree.get(account.id, dir);
  if (!entry?.isDir) return ctx.fail(Errno.NOT_FOUND, 'file does not exist');

  // The xpan alias pages with start/limit (Baidu's OpenAPI); /api/list with page (from 1)/num.
  const startLimit = ctx.xpan && (params.get('start') !== undefined || params.get('limit') !== undefined);
  const max = knobs.listMaxNum;
  const asked = params.int(startLimit ? 'limit' : 'num', max)!;
  const num = asked < 1 ? max : Math.min(asked, max);
  const offset = startLimit ? Math.max(0, params.int('start', 0)!) : (Math.max(1, params.int('page', 1)!) - 1) * num;
  const orderParam = params.get('order');
  const order: ListOrder = orderParam === 'time' || orderParam === 'size' ? orderParam : 'name';
  const desc = params.get('desc') === '1';
  const items = tree.children(account.id, dir, order, desc, offset, num).map(wireItem);
  await ctx.json({ errno: 0, guid_info: '', list: items, guid: 0 });
}
