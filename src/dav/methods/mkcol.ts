// MKCOL: creates one collection (RFC 4918 §9.3); request bodies are not supported (415).

import type { RequestContext } from '../context.js';
import { hasBody } from '../body.js';
import { assertWritable } from '../lock-guard.js';
import { sendEmpty } from '../respond.js';
import { DavError } from '../status.js';

export async function handleMkcol(ctx: RequestContext): Promise<void> {
  if (hasBody(ctx.req)) throw new DavError(415, 'MKCOL with a request body is not supported');
  if (await ctx.targetState()) throw new DavError(405, `${ctx.path} already exists`);
  assertWritable(ctx, { resources: [ctx.path], members: [ctx.path] });
  await ctx.drive.mkdir(ctx.path);
  sendEmpty(ctx.req, ctx.res, 201);
}
