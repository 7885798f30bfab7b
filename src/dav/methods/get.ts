// GET and HEAD: files with validators and byte ranges passed through to the drive (one range, or
// several as multipart/byteranges), and an HTML index for collections.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { ByteRange, Entry } from '../../drive/types.js';
import type { RequestContext } from '../context.js';
import { ifRangeAllows } from '../conditional.js';
import { renderDirectoryIndex } from '../dir-index.js';
import { parseRange } from '../range.js';
import { sendBody, sendEmpty } from '../respond.js';
import { watchResponseStall } from '../stall-watch.js';
import { DavError } from '../status.js';
import { listVisibleMembers } from '../well-known.js';
import { uploadSummary } from '../../drive/status-format.js';
import { withTrueRootDates } from '../root-dates.js';

function validatorHeaders(entry: Entry): Record<string, string> {
  return { ETag: entry.etag, 'Last-Modified': entry.mtime.toUTCString() };
}

export async function handleGet(ctx: RequestContext): Promise<void> {
  const entry = await ctx.targetState();
  if (!entry) throw new DavError(404, `${ctx.path} does not exist`);
  if (entry.isDir) return sendIndex(ctx, entry);

  const contentType = entry.contentType ?? 'application/octet-stream';
  const headers = { ...validatorHeaders(entry), 'Content-Type': contentType, 'Accept-Ranges': 'bytes' };
  const range = ifRangeAllows(ctx.req.headers, entry) ? parseRange(ctx.req.headers.range, entry.size) : { kind: 'full' as const };

  if (range.kind === 'unsatisfiable') {
    return sendEmpty(ctx.req, ctx.res, 416, { ...headers, 'Content-Range': `bytes */${entry.size}` });
  }
  if (range.kind === 'full') {
    return sendStream(ctx, entry, 200, { ...headers, 'Content-Length': entry.size }, undefined);
  }
  const [r] = range.ranges;
  if (r !== undefined && range.ranges.length === 1) {
    const rangeHeaders = { 'Content-Length': r.end - r.start + 1, 'Content-Range': `bytes ${r.start}-${r.end}/${entry.size}` };
    return sendStream(ctx, entry, 206, { ...headers, ...rangeHeaders }, r);
  }
  return sendMultipart(ctx, entry, range.ranges, headers);
}

/** Opens the range before answering, so a drive failure still gets a proper status. */
async function sendStream(
  ctx: RequestContext,
  entry: Entry,
  status: number,
  headers: Record<string, string | number>,
  range: ByteRange | undefined,
): Promise<void> {
  if (ctx.method === 'HEAD' || entry.size === 0) {
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  const { stream, recycle } = await ctx.drive.read(ctx.path, range, ctx.signal);
  ctx.res.writeHead(status, headers);
  // A drive stream shorter or longer than announced must fail the response, not hang or corrupt it.
  ctx.res.strictContentLength = true;
  const stopWatch = watchResponseStall(ctx.res, ctx.services.bodyIdleTimeoutMs);
  try {
    await writeStream(stream, ctx, recycle);
    ctx.res.end();
    await finished(ctx.res);
  } finally {
    stopWatch();
  }
}

async function sendMultipart(ctx: RequestContext, entry: Entry, ranges: ByteRange[], headers: Record<string, string>): Promise<void> {
  const boundary = randomBytes(12).toString('hex');
  const partHead = (r: ByteRange) =>
    `--${boundary}\r\nContent-Type: ${headers['Content-Type']}\r\nContent-Range: bytes ${r.start}-${r.end}/${entry.size}\r\n\r\n`;
  const trailer = `--${boundary}--\r\n`;
  const length = ranges.reduce((n, r) => n + Buffer.byteLength(partHead(r)) + (r.end - r.start + 1) + 2, 0) + trailer.length;
  ctx.res.writeHead(206, {
    ...headers,
    'Content-Type': `multipart/byteranges; boundary=${boundary}`,
    'Content-Length': length,
  });
  if (ctx.method === 'HEAD') return void ctx.res.end();
  const stopWatch = watchResponseStall(ctx.res, ctx.services.bodyIdleTimeoutMs);
  try {
    for (const r of ranges) {
      const { stream, recycle } = await ctx.drive.read(ctx.path, r, ctx.signal);
      ctx.res.write(partHead(r));
      await writeStream(stream, ctx, recycle);
      ctx.res.write('\r\n');
    }
    ctx.res.end(trailer);
  } finally {
    stopWatch();
  }
}

/**
 * A drive stream into the response, which stays open (a whole body, or one part of a multipart
 * answer). Each piece is written as it comes, waiting only when the response asks to (drain), and
 * goes back to the drive (`recycle`) once the socket has taken its bytes. Unlike a pipeline per part,
 * this adds no listener to the response that outlives the part, so 32 ranges raise no MaxListeners
 * warning.
 */
async function writeStream(
  stream: NodeJS.ReadableStream & { destroy(err?: Error): void },
  ctx: RequestContext,
  recycle?: (piece: Buffer) => void,
): Promise<void> {
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (ctx.signal.aborted) throw new Error('the client went away');
      const room = recycle
        ? ctx.res.write(chunk, (err) => {
            if (!err) recycle(chunk);
          })
        : ctx.res.write(chunk);
      if (!room) await once(ctx.res, 'drain', { signal: ctx.signal });
    }
  } finally {
    stream.destroy();
  }
}

async function sendIndex(ctx: RequestContext, found: Entry): Promise<void> {
  const members = await listVisibleMembers(ctx.drive, found.path);
  const dir = await withTrueRootDates(ctx.drive, found, members);
  const html = renderDirectoryIndex(dir, members, await statusSummary(ctx));
  sendBody(ctx.req, ctx.res, 200, html, { ...validatorHeaders(dir), 'Content-Type': 'text/html; charset=utf-8' });
}

/** The one-line upload summary for an index; a failing status source leaves it out rather than failing the page. */
async function statusSummary(ctx: RequestContext): Promise<string | undefined> {
  if (!ctx.services.status) return undefined;
  try {
    return uploadSummary(await ctx.services.status());
  } catch (e) {
    ctx.services.logger.warn({ err: (e as Error).message }, 'status snapshot failed');
    return undefined;
  }
}
