// PUT: streams the body to the drive and answers only once the drive has committed it.

import type { Readable } from 'node:stream';
import type { RequestContext } from '../context.js';
import { contentLength } from '../body.js';
import { assertWritable } from '../lock-guard.js';
import { headerValue } from '../headers.js';
import { parentOf } from '../paths.js';
import { sendEmpty } from '../respond.js';
import { watchBodyStall } from '../stall-watch.js';
import { DavError } from '../status.js';
import { continueOnFirstRead } from '../upload-body.js';

function sizeHint(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

export async function handlePut(ctx: RequestContext): Promise<void> {
  const { req, drive, path } = ctx;
  // RFC 9110 §14.5: a server without partial PUT must refuse Content-Range rather than store a fragment.
  if (req.headers['content-range'] !== undefined) throw new DavError(400, 'Partial PUT (Content-Range) is not supported');
  if (ctx.target.trailingSlash) throw new DavError(405, `PUT to ${path}/ names a collection`);
  const size = contentLength(req);

  // Checked here (the drive checks again) so a doomed upload is refused before its body is sent.
  const existing = await ctx.targetState();
  if (existing?.isDir) throw new DavError(405, `${path} is a collection`);
  if (!existing) {
    const parent = await drive.stat(parentOf(path));
    if (!parent?.isDir) throw new DavError(409, `The parent collection of ${path} does not exist`);
  }
  assertWritable(ctx, existing ? { resources: [path] } : { resources: [path], members: [path] });

  // The stall watch starts once the client may send: before 100 Continue it is waiting for us.
  let stopWatch = () => {};
  const watch = () => {
    stopWatch = watchBodyStall(req, ctx.services.bodyIdleTimeoutMs, ctx.res);
  };
  let body: Readable = req;
  if (ctx.awaitingContinue) {
    body = continueOnFirstRead(req, () => {
      ctx.sendContinue();
      watch();
    });
  } else {
    watch();
  }
  try {
    const result = await drive.write(path, body, {
      size,
      sizeHint: sizeHint(headerValue(req.headers, 'x-expected-entity-length')),
      signal: ctx.signal,
    });
    sendEmpty(req, ctx.res, result.created ? 201 : 204, { ETag: result.entry.etag });
  } finally {
    stopWatch();
  }
}
