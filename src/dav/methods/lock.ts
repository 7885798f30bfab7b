// LOCK and UNLOCK (RFC 4918 §9.10, §9.11): exclusive and shared write locks, depth 0 or infinity,
// refresh through the If header, and LOCK on an unmapped URL creating an empty file.

import { Readable } from 'node:stream';
import type { RequestContext } from '../context.js';
import { headerValue } from '../headers.js';
import { assertWritable } from '../lock-guard.js';
import { LockConflictError, lockCovers, type ActiveLock, type LockDepth, type LockScope } from '../locks.js';
import { hrefFor, parentOf } from '../paths.js';
import { activeLockXml } from '../props.js';
import { sendEmpty, sendXml } from '../respond.js';
import { DavError } from '../status.js';
import { DAV_NS, XML_DECLARATION, childElements, findChild, isElement, serializeFragment, type XmlElement } from '../xml.js';

const DEFAULT_TIMEOUT_SECONDS = 3600;

/** `Timeout: Second-600, Infinite` (RFC 4918 §10.7): the first usable value, capped by the server. */
export function parseTimeout(value: string | undefined, maxSeconds: number): number {
  for (const part of (value ?? '').split(',')) {
    const v = part.trim().toLowerCase();
    if (v === 'infinite') return maxSeconds;
    const m = /^second-(\d+)$/.exec(v);
    if (m) return Math.min(Math.max(1, Number(m[1])), maxSeconds);
  }
  return Math.min(DEFAULT_TIMEOUT_SECONDS, maxSeconds);
}

function parseDepth(value: string | undefined): LockDepth {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === 'infinity') return 'infinity';
  if (v === '0') return 0;
  throw new DavError(400, `LOCK does not support Depth: ${value}`);
}

function parseLockInfo(doc: XmlElement): { scope: LockScope; owner: string } {
  if (!isElement(doc, DAV_NS, 'lockinfo')) throw new DavError(400, 'LOCK body must be a DAV:lockinfo element');
  const scopeEl = findChild(doc, DAV_NS, 'lockscope');
  const scope = scopeEl && childElements(scopeEl).find((c) => c.ns === DAV_NS && (c.name === 'exclusive' || c.name === 'shared'));
  if (!scope) throw new DavError(400, 'LOCK needs DAV:lockscope exclusive or shared');
  const typeEl = findChild(doc, DAV_NS, 'locktype');
  if (!typeEl || !findChild(typeEl, DAV_NS, 'write')) throw new DavError(400, 'Only DAV:write locks are supported');
  const owner = findChild(doc, DAV_NS, 'owner');
  return { scope: scope.name as LockScope, owner: owner ? serializeFragment(owner.children) : '' };
}

/** The LOCK response body; a lock rooted above `path` is rooted on a collection. */
function lockDiscoveryBody(locks: ActiveLock[], path: string, isDir: boolean): string {
  const now = Date.now();
  const active = locks.map((l) => activeLockXml(l, l.root === path ? isDir : true, now)).join('');
  return `${XML_DECLARATION}<D:prop xmlns:D="DAV:"><D:lockdiscovery>${active}</D:lockdiscovery></D:prop>`;
}

export async function handleLock(ctx: RequestContext): Promise<void> {
  const timeout = parseTimeout(headerValue(ctx.req.headers, 'timeout'), ctx.services.lockMaxTimeoutSeconds);
  const doc = await ctx.readXml();
  if (doc === null) return refresh(ctx, timeout);

  const { scope, owner } = parseLockInfo(doc);
  const depth = parseDepth(headerValue(ctx.req.headers, 'depth'));
  const { path, drive } = ctx;
  const existing = await ctx.targetState();
  if (!existing) {
    // The empty resource a lock on an unmapped URL creates is a file; `x/` names a collection.
    if (ctx.target.trailingSlash) throw new DavError(409, `${path}/ names a collection that does not exist; LOCK creates only files`);
    const parent = await drive.stat(parentOf(path));
    if (!parent?.isDir) throw new DavError(409, `The parent collection of ${path} does not exist`);
    assertWritable(ctx, { members: [path] });
  }

  let lock: ActiveLock;
  try {
    lock = ctx.services.locks.create({ root: path, scope, depth, owner, principal: ctx.user, timeoutSeconds: timeout });
  } catch (e) {
    if (!(e instanceof LockConflictError)) throw e;
    throw new DavError(423, `${path} is already locked`, {
      condition: 'no-conflicting-lock',
      hrefs: [hrefFor(e.conflicting.root, e.conflicting.root !== path)],
    });
  }
  if (!existing) {
    try {
      // RFC 4918 §7.3: a lock on an unmapped URL creates an empty resource.
      await drive.write(path, Readable.from([]), { size: 0, signal: ctx.signal });
    } catch (e) {
      ctx.services.locks.remove(lock.token);
      throw e;
    }
  }
  sendXml(ctx.req, ctx.res, existing ? 200 : 201, lockDiscoveryBody([lock], path, existing?.isDir ?? false), {
    'Lock-Token': `<${lock.token}>`,
  });
}

/** A LOCK without a body refreshes the locks whose tokens the If header submitted for this resource. */
async function refresh(ctx: RequestContext, timeout: number): Promise<void> {
  if (headerValue(ctx.req.headers, 'if') === undefined) throw new DavError(400, 'A LOCK refresh needs an If header with the lock token');
  const store = ctx.services.locks;
  const mine = [...ctx.submittedTokens]
    .map((t) => store.get(t))
    .filter((l): l is ActiveLock => l !== null && lockCovers(l, ctx.path) && l.principal === ctx.user);
  if (mine.length === 0) throw new DavError(412, 'No submitted lock token of yours applies to this resource');
  const refreshed = mine.map((l) => store.refresh(l.token, timeout)).filter((l): l is ActiveLock => l !== null);
  const entry = await ctx.targetState();
  sendXml(ctx.req, ctx.res, 200, lockDiscoveryBody(refreshed, ctx.path, entry?.isDir ?? false));
}

export async function handleUnlock(ctx: RequestContext): Promise<void> {
  const raw = headerValue(ctx.req.headers, 'lock-token');
  if (raw === undefined || raw.trim() === '') throw new DavError(400, 'UNLOCK needs a Lock-Token header');
  // RFC 4918 wants `<token>`; some clients send the bare token.
  const token = raw.trim().replace(/^<(.*)>$/, '$1');
  const store = ctx.services.locks;
  const lock = store.get(token);
  if (!lock || !lockCovers(lock, ctx.path)) {
    throw new DavError(409, 'The lock token does not identify a lock on this resource', { condition: 'lock-token-matches-request-uri' });
  }
  if (lock.principal !== ctx.user) throw new DavError(403, 'The lock belongs to another user');
  store.remove(token);
  sendEmpty(ctx.req, ctx.res, 204);
}
