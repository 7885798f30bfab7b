// The official download flow: /api/download (type=dlink, fidlist, sign = downloadSign(sign3, sign1)
// from /api/home/info) hands out dlinks; a dlink answers 302 to a data URL; the data URL serves the
// bytes with Range support, `content-md5` and `x-bs-meta-crc32`, streamed block by block.
// Link errors are PCS-style 403s: 31362 "sign error" for a forged link, 31360 "url expired".
// The PCS route /rest/2.0/pcs/file?method=download&path=… serves the same bytes with the cookie.

import { Readable } from 'node:stream';
import { Errno } from '../../terabox/wire.js';
import { downloadSign } from '../../terabox/sign.js';
import type { Ctx } from '../http/context.js';
import { BadRequest } from '../http/params.js';
import { parseRange } from '../http/range.js';
import { normalizePath } from '../paths.js';
import { checkLink, dataUrlFor, dlinkUrl, type LinkKind } from '../links.js';
import type { BlockStore } from '../store/blocks.js';

const SIGN_ERROR = 31362;
const URL_EXPIRED = 31360;
const FILE_MISSING = 31066;

export async function download(ctx: Ctx): Promise<void> {
  const account = await ctx.account();
  if (!account) return;
  const params = await ctx.params();
  if (params.get('type') !== 'dlink') throw new BadRequest('type must be dlink');
  if (params.get('sign') !== downloadSign(account.sign3, account.sign1)) return ctx.fail(SIGN_ERROR, 'sign error');
  if (params.int('timestamp') === undefined) throw new BadRequest('timestamp missing');
  const fidlist = params.json('fidlist');
  if (!Array.isArray(fidlist) || fidlist.length === 0 || !fidlist.every((f) => /^\d+$/.test(String(f)))) {
    throw new BadRequest('fidlist must be a JSON array of fs_ids');
  }
  const entries = fidlist.map((f) => ctx.emu.tree.byFsId(account.id, Number(f)));
  if (entries.some((e) => !e || e.isDir)) return ctx.fail(Errno.NOT_FOUND, 'file does not exist');
  const dlink = entries.map((e) => ({ fs_id: String(e!.fsId), dlink: dlinkUrl(ctx, account, e!) }));
  await ctx.json({ errno: 0, dlink, file_info: { size: entries[0]!.size, filename: entries[0]!.name } });
}

async function checked(ctx: Ctx, kind: LinkKind) {
  const link = checkLink(ctx, kind);
  if (link.ok) return link.fields;
  if (link.reason === 'expired') await ctx.pcsFail(URL_EXPIRED, 'url expired');
  else await ctx.pcsFail(SIGN_ERROR, 'sign error');
  return null;
}

/** errno of the dlink hop from a datacenter IP (knob dlinkNeedVerify; docs/terabox-protocol.md §7). */
const NEED_VERIFY = 400141;

/** GET|HEAD /d/file/<content>: the dlink, a redirect to a fresh data URL with the same expiry. */
export async function dlink(ctx: Ctx): Promise<void> {
  // As seen live: a 200 JSON answer where the redirect should be, so a client must look before it trusts a body.
  if (ctx.emu.knobs.dlinkNeedVerify) return ctx.fail(NEED_VERIFY, 'need verify');
  const fields = await checked(ctx, 'dlink');
  if (fields) await ctx.send(302, { location: dataUrlFor(ctx, fields) }, '');
}

/** Bytes [start, end] of a content, reading only the blocks that hold them. */
async function* readBytes(blocks: BlockStore, blockList: string[], start: number, end: number): AsyncGenerator<Buffer> {
  const sizes = blocks.sizes(blockList);
  let offset = 0;
  for (let i = 0; i < blockList.length && offset <= end; i++) {
    const size = sizes[i] ?? 0;
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + size - 1);
    if (from <= to) yield* blocks.read(blockList[i]!, from - offset, to - offset) as AsyncIterable<Buffer>;
    offset += size;
  }
}

/** Knob corruptDownloads: the body's first byte inverted (a copy: the stored block stays intact). */
async function* flipFirstByte(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let first = true;
  for await (const piece of source) {
    if (first && piece.length > 0) {
      first = false;
      const copy = Buffer.from(piece);
      copy[0] = copy[0]! ^ 0xff;
      yield copy;
    } else yield piece;
  }
}

/** GET|HEAD /file/<content>: the data URL. */
export async function data(ctx: Ctx): Promise<void> {
  // Under the knob the links filemetas hands out directly (dlna) are refused the same way.
  if (ctx.emu.knobs.dlinkNeedVerify) return ctx.fail(NEED_VERIFY, 'need verify');
  const fields = await checked(ctx, 'data');
  if (!fields) return;
  // fid is `<uk>-<app_id>-<fs_id>`: the account whose download cap applies.
  await serveContent(ctx, fields.content, fields.fin, fields.fid.split('-')[0]!);
}

/**
 * GET|HEAD /rest/2.0/pcs/file?method=download&path=<path>: the file's bytes straight from the web
 * host with the cookie, Range supported: the route that still works where the dlink hop answers
 * 400141 (docs/terabox-protocol.md §7). PCS-style errors: 31066 for a missing file or a directory.
 */
export async function pcsDownload(ctx: Ctx): Promise<void> {
  const account = await ctx.account('pcs');
  if (!account) return;
  const path = normalizePath(ctx.url.searchParams.get('path') ?? undefined, ctx.emu.knobs);
  if (path === null) return ctx.pcsFail(31023, 'param error');
  const entry = ctx.emu.tree.get(account.id, path);
  if (!entry || entry.isDir || !entry.content) return ctx.pcsFail(FILE_MISSING, 'file does not exist');
  await serveContent(ctx, entry.content, entry.name, account.uk);
}

/** Serves a content's bytes (Range, faults); `account` (its uk) is the one whose download cap applies. */
async function serveContent(ctx: Ctx, key: string, name: string, account: string | number): Promise<void> {
  const { contents, blocks } = ctx.emu;
  const content = contents.get(key);
  if (!content) return ctx.pcsFail(FILE_MISSING, 'file does not exist');
  const hashes = await contents.hashes(content.key);
  const total = content.size;
  const headers = {
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment;filename="${encodeURIComponent(name)}"`,
    'accept-ranges': 'bytes',
    'cache-control': 'private',
    etag: `"${content.etag}"`,
    'content-md5': hashes.md5,
    'x-bs-meta-crc32': String(hashes.crc32),
    'x-bs-file-size': String(total),
  };
  const range = parseRange(ctx.req.headers.range, total);
  if (range.kind === 'unsatisfiable') {
    return ctx.send(
      416,
      { ...headers, 'content-type': 'application/json', 'content-range': `bytes */${total}` },
      JSON.stringify({ error_code: 31023, error_msg: 'range not satisfiable' }),
    );
  }
  const [start, end, status] = range.kind === 'partial' ? [range.start, range.end, 206] : [0, total - 1, 200];
  const length = end - start + 1;
  const partial = range.kind === 'partial' ? { 'content-range': `bytes ${start}-${end}/${total}` } : {};
  const bytes = readBytes(blocks, content.blockList, start, end);
  const body = Readable.from(ctx.emu.knobs.corruptDownloads ? flipFirstByte(bytes) : bytes);
  ctx.throttleAccount(account);
  if (ctx.req.method !== 'HEAD')
    ctx.sentTo = ctx.emu.stats.download({ requestId: ctx.requestId, file: name, start, end, status, bytes: 0 });
  const cut = ctx.fault === 'reset' ? Math.max(1, Math.floor(length / 2)) : undefined;
  await ctx.stream(status, { ...headers, ...partial, 'content-length': length }, body, cut);
}
