// Write protection by locks (RFC 4918 §7): a write succeeds only when, for every locked resource it
// touches, the client submitted a token of one of the locks there and is the user who took it.

import type { RequestContext } from './context.js';
import type { ActiveLock } from './locks.js';
import { hrefFor, parentOf } from './paths.js';
import { DavError } from './status.js';

export interface WriteScope {
  /** Resources whose content or properties change (their covering locks apply). */
  resources?: string[];
  /** Resources removed or replaced with everything below them (locks anywhere inside apply too). */
  trees?: string[];
  /** Resources whose addition or removal changes their parent collection's membership. */
  members?: string[];
}

function held(ctx: RequestContext, lock: ActiveLock): boolean {
  return ctx.submittedTokens.has(lock.token) && lock.principal === ctx.user;
}

/** Throws 423 (DAV:lock-token-submitted, naming the lock root) when a touched lock is not held. */
export function assertWritable(ctx: RequestContext, scope: WriteScope): void {
  const store = ctx.services.locks;
  const check = (path: string) => {
    const locks = store.covering(path);
    const [blocking] = locks;
    if (blocking !== undefined && !locks.some((l) => held(ctx, l))) {
      throw new DavError(423, `${blocking.root} is locked`, {
        condition: 'lock-token-submitted',
        hrefs: [hrefFor(blocking.root, blocking.root !== path)],
      });
    }
  };
  for (const path of scope.resources ?? []) check(path);
  // Adding or removing a member changes the parent collection, so the parent's locks apply.
  for (const path of scope.members ?? []) if (path !== '/') check(parentOf(path));
  for (const tree of scope.trees ?? []) {
    check(tree);
    for (const root of new Set(store.within(tree).map((l) => l.root))) check(root);
  }
}
