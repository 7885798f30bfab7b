// Download links. A dlink (`/d/file/<content>`, what /api/download and filemetas hand out) answers
// 302 to a data URL (`/file/<content>`) that serves the bytes. Both carry `time`/`expires` (unix
// seconds, like TeraBox's share links) and an HMAC `sign` over their fields with a per-emulator secret,
// so an expired or edited link is refused. A link names the content it was minted for, so it keeps
// serving those bytes even if the path is later overwritten (like a snapshot).

import { createHmac, timingSafeEqual } from 'node:crypto';
import { APP_ID } from '../terabox/wire.js';
import type { Ctx } from './http/context.js';
import type { Account } from './store/accounts.js';
import type { Entry } from './store/tree.js';

export type LinkKind = 'dlink' | 'data';

export interface LinkFields {
  content: string;
  /** `<uk>-<app_id>-<fs_id>`, as TeraBox writes it. */
  fid: string;
  /** File name, for Content-Disposition. */
  fin: string;
  time: number;
  expires: number;
}

const PATHS: Record<LinkKind, string> = { dlink: '/d/file/', data: '/file/' };

function signature(secret: Buffer, kind: LinkKind, f: LinkFields): string {
  return createHmac('sha256', secret).update([kind, f.content, f.fid, f.fin, f.time, f.expires].join('\n')).digest('hex').slice(0, 40);
}

function build(ctx: Ctx, kind: LinkKind, f: LinkFields): string {
  const q = new URLSearchParams({
    fid: f.fid,
    time: String(f.time),
    expires: String(f.expires),
    fin: f.fin,
    rt: 'pr',
    sign: signature(ctx.emu.linkSecret, kind, f),
  });
  return `${ctx.origin}${PATHS[kind]}${f.content}?${q.toString().replace(/\+/g, '%20')}`;
}

function mint(ctx: Ctx, account: Account, entry: Entry): LinkFields {
  const now = Date.now();
  return {
    content: entry.content!,
    fid: `${account.uk}-${APP_ID}-${entry.fsId}`,
    fin: entry.name,
    time: Math.floor(now / 1000),
    // Rounded up: a link lives at least dlinkTtlMs.
    expires: Math.ceil((now + ctx.emu.knobs.dlinkTtlMs) / 1000),
  };
}

export function dlinkUrl(ctx: Ctx, account: Account, entry: Entry): string {
  return build(ctx, 'dlink', mint(ctx, account, entry));
}

export function dataUrl(ctx: Ctx, account: Account, entry: Entry): string {
  return build(ctx, 'data', mint(ctx, account, entry));
}

/** The data URL a valid dlink redirects to (same fields and expiry). */
export function dataUrlFor(ctx: Ctx, f: LinkFields): string {
  return build(ctx, 'data', f);
}

export type LinkCheck = { ok: true; fields: LinkFields } | { ok: false; reason: 'forged' | 'expired' };

/** Reads and checks the link a request is for. */
export function checkLink(ctx: Ctx, kind: LinkKind): LinkCheck {
  const content = ctx.url.pathname.slice(PATHS[kind].length);
  const q = ctx.url.searchParams;
  const fields: LinkFields = {
    content,
    fid: q.get('fid') ?? '',
    fin: q.get('fin') ?? '',
    time: Number(q.get('time')),
    expires: Number(q.get('expires')),
  };
  const given = Buffer.from(q.get('sign') ?? '');
  const want = Buffer.from(signature(ctx.emu.linkSecret, kind, fields));
  if (!/^[0-9a-f]{32}$/.test(content) || given.length !== want.length || !timingSafeEqual(given, want))
    return { ok: false, reason: 'forged' };
  if (Date.now() >= fields.expires * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, fields };
}
