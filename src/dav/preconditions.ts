// Request preconditions checked before any method runs: the WebDAV If header (which also decides
// which lock tokens the client submitted) and the HTTP conditional headers.

import type { RequestContext } from './context.js';
import { evaluatePreconditions, hasPreconditions } from './conditional.js';
import { headerValue } from './headers.js';
import { IfHeaderSyntaxError, evaluateIf, parseIfHeader, type IfList } from './if-header.js';
import { lockCovers } from './locks.js';
import { decodeUriReference } from './paths.js';
import { DavError } from './status.js';

/** Evaluates the If header; 400 when malformed, 412 when no list holds. Fills ctx.submittedTokens. */
async function applyIfHeader(ctx: RequestContext): Promise<void> {
  const header = headerValue(ctx.req.headers, 'if');
  if (header === undefined) return;
  let lists: IfList[];
  try {
    lists = parseIfHeader(header);
  } catch (e) {
    if (e instanceof IfHeaderSyntaxError) throw new DavError(400, e.message);
    throw e;
  }
  const { drive, locks } = ctx.services;
  const outcome = await evaluateIf(lists, ctx.path, {
    resolveTag: (tag) => {
      try {
        return decodeUriReference(tag, ctx.target).path;
      } catch {
        return null;
      }
    },
    etagOf: async (path) => (await (path === ctx.path ? ctx.targetState() : drive.stat(path)))?.etag ?? null,
    tokenApplies: (token, path) => {
      const lock = locks.get(token);
      return lock !== null && lockCovers(lock, path);
    },
  });
  if (!outcome.ok) throw new DavError(412, 'None of the If header conditions holds');
  for (const token of outcome.submitted) ctx.submittedTokens.add(token);
}

/**
 * Runs both checks. Returns 304 when a GET/HEAD can be answered "not modified"; throws 412 (or 400)
 * when the request must not proceed.
 */
export async function checkPreconditions(ctx: RequestContext): Promise<'proceed' | 304> {
  await applyIfHeader(ctx);
  // Some clients (Office) send the token of the lock they hold in Lock-Token rather than If.
  const lockToken = headerValue(ctx.req.headers, 'lock-token');
  if (lockToken !== undefined && ctx.method !== 'UNLOCK') ctx.submittedTokens.add(lockToken.trim().replace(/^<(.*)>$/, '$1'));
  if (!hasPreconditions(ctx.req.headers)) return 'proceed';
  const result = evaluatePreconditions(ctx.req.headers, ctx.method, await ctx.targetState());
  if (result === 412) throw new DavError(412, 'The conditional request headers do not hold');
  return result;
}
