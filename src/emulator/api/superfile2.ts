// /rest/2.0/pcs/superfile2?method=upload: one part of an upload, multipart field `file` (Baidu
// clients' `uploadedfile` too), streamed to the block store while hashed, never held in memory.
// Errors in PCS style: unknown or expired uploadid 31363, no file field 31208, bad parameters 31023.
// `path` is not used (TeraBox is lenient about it: clients send it double-encoded or wrong).
// Under the requireUploadSign knob a missing or wrong `uploadsign` (precreate's) is refused with 31023.

import busboy from 'busboy';
import { pipeline } from 'node:stream/promises';
import { Errno } from '../../terabox/wire.js';
import type { Ctx } from '../http/context.js';
import { BlockTooLargeError } from '../store/blocks.js';
import { uploadSignFor } from './precreate.js';

const FILE_FIELDS = ['file', 'uploadedfile'];

export async function superfile2(ctx: Ctx): Promise<void> {
  const account = await ctx.account('pcs');
  if (!account) return;
  const q = ctx.url.searchParams;
  if (q.get('method') !== 'upload') return ctx.pcsFail(31023, 'param error');
  const partseq = q.get('partseq') ?? '';
  if (!/^\d+$/.test(partseq)) return ctx.pcsFail(31023, 'param error');
  const uploadId = q.get('uploadid') ?? '';
  if (!ctx.emu.sessions.live(account.id, uploadId, Date.now())) {
    return ctx.pcsFail(Errno.BLOCK_MISS, 'uploadid invalid or expired: block miss in superfile2');
  }
  if (ctx.emu.knobs.requireUploadSign && q.get('uploadsign') !== uploadSignFor(ctx.emu, uploadId)) {
    return ctx.pcsFail(31023, 'param error: uploadsign invalid');
  }
  if (!(ctx.req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')) {
    return ctx.pcsFail(31208, 'content_type is not exists');
  }

  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: ctx.req.headers, limits: { files: 1 } });
  } catch {
    // A multipart type without a usable boundary.
    return ctx.pcsFail(31208, 'form data format invalid');
  }

  ctx.throttleAccount(account.uk);
  // The reset fault drops the connection after half the declared body.
  const declared = Number(ctx.req.headers['content-length'] ?? 0);
  const body = ctx.body(ctx.fault === 'reset' ? Math.max(1, Math.floor(declared / 2)) : undefined);
  let written: Promise<{ md5: string; size: number }> | null = null;
  bb.on('file', (name, stream) => {
    if (written || !FILE_FIELDS.includes(name)) {
      stream.resume();
      return;
    }
    written = ctx.emu.blocks.write(stream, account.maxFileSize);
    // A failed write may reject before the body has ended; it is answered below, but unhandled until
    // then it would end the process.
    written.catch(() => undefined);
  });
  try {
    await pipeline(body, bb);
  } catch {
    // Cut off or malformed: whatever was being written is discarded by the block store.
    await (written as Promise<unknown> | null)?.catch(() => undefined);
    if (ctx.fault === 'reset' || ctx.socket.destroyed) return;
    return ctx.pcsFail(31208, 'form data format invalid');
  }
  if (!written) return ctx.pcsFail(31208, 'content_type is not exists');
  try {
    const block = await (written as Promise<{ md5: string; size: number }>);
    await ctx.json({ md5: block.md5, partseq: Number(partseq), uploadid: uploadId });
  } catch (e) {
    if (e instanceof BlockTooLargeError) return ctx.pcsFail(31023, 'part too large');
    throw e;
  }
}
