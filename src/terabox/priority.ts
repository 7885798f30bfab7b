// Which API calls may wait: a WebDAV request's calls are foreground (the default), the write-back
// queue's commits and the start-up resume of journalled commits are background. The mark travels with
// the async context (AsyncLocalStorage), so no TeraBoxApi method needs a flag; withPacing reads it and
// the pacer serves foreground waiters first.

import { AsyncLocalStorage } from 'node:async_hooks';

export type Priority = 'foreground' | 'background';

const current = new AsyncLocalStorage<Priority>();

/** Runs `fn` with every API call it makes (across awaits, timers, promises it starts) marked background. */
export function inBackground<T>(fn: () => T): T {
  return current.run('background', fn);
}

/** True inside inBackground(). */
export function isBackground(): boolean {
  return current.getStore() === 'background';
}

export function currentPriority(): Priority {
  return current.getStore() ?? 'foreground';
}
