// DELETE: removes a file or a whole tree, with its dead properties and locks.

import type { RequestContext } from '../context.js';
import { assertWritable } from '../lock-guard.js';
import { sendEmpty } from '../respond.js';
import { headerValue } from '../headers.js';
import { DavError } from '../status.js';

export async function handleDelete(ctx: RequestContext): Promise<void> {
  const { path } = ctx;
  const entry = await ctx.targetState();
  if (!entry) throw new DavError(404, `${path} does not exist`);
  if (path === '/') throw new DavError(403, 'The root collection cannot be deleted');
  const depth = headerValue(ctx.req.headers, 'depth');
  // RFC 4918 §9.6.1: a collection is always deleted as a whole.
  if (entry.isDir && depth !== undefined && depth.trim().toLowerCase() !== 'infinity') {
    throw new DavError(400, 'DELETE of a collection requires Depth: infinity');
  }
  assertWritable(ctx, { trees: [path], members: [path] });
  await ctx.drive.remove(path);
  ctx.services.deadProps.removeTree(path);
  ctx.services.locks.removeWithin(path);
  sendEmpty(ctx.req, ctx.res, 204);
}
