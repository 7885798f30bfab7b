// Account endpoints: /api/check/login, /api/quota, /api/home/info (download sign material) and
// /rest/2.0/membership/proxy/user?method=query (VIP status).

import { unixNow } from '../core.js';
import type { Ctx } from '../http/context.js';

export async function checkLogin(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  await ctx.json({ errno: 0, uk: account.uk, newno: '', show_msg: '' });
}

export async function quota(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const used = ctx.emu.tree.used(account.id);
  // TeraBox's `free` equals `total` (clients compute total - used themselves, reference §2.6).
  await ctx.json({ errno: 0, total: account.quota, used, free: account.quota, expire: false, sbox_used: 0, server_time: unixNow() });
}

export async function homeInfo(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  await ctx.json({
    errno: 0,
    data: { sign1: account.sign1, sign3: account.sign3, timestamp: unixNow(), uk: account.uk, is_vip: account.vip ? 1 : 0 },
  });
}

export async function membership(ctx: Ctx): Promise<void> {
  const account = await ctx.account('pcs');
  if (!account) return;
  const year = 365 * 24 * 3600;
  const member_info = account.vip
    ? { is_vip: 1, vip_end_time: unixNow() + year, vip_left_time: year }
    : { is_vip: 0, vip_end_time: 0, vip_left_time: 0 };
  await ctx.json({ error_code: 0, error_msg: '', data: { member_info } });
}
