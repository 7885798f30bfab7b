// Tree-aware async locks: an operation holding a path excludes every other operation on that path,
// on a folder above it, or on anything under it. So a folder DELETE or MOVE waits for a PUT into the
// folder (and a PUT into a folder being moved waits for the move), and the end state is always the
// one of some order of the two requests, on the drive and on TeraBox alike.
//
// Fair and deadlock-free: a caller waits only for holders and waiters that queued before it and
// overlap what it asks for, and takes all its paths at once.

import { isStrictlyUnder } from './paths.js';

interface Holder {
  paths: string[];
  /** Resolves when this holder has released its paths. */
  released: Promise<void>;
}

/** True when a and b are the same path or one is inside the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || isStrictlyUnder(a, b) || isStrictlyUnder(b, a);
}

export class PathLocks {
  /** Holders and waiters, in the order they asked. */
  private readonly queue = new Set<Holder>();

  /** Runs fn while holding every path in `paths` and, with each, the tree under it. */
  async with<T>(paths: string[], fn: () => Promise<T>): Promise<T> {
    const mine = [...new Set(paths)];
    const before = [...this.queue].filter((h) => h.paths.some((p) => mine.some((q) => overlaps(p, q))));
    let release!: () => void;
    const holder: Holder = { paths: mine, released: new Promise<void>((r) => (release = r)) };
    this.queue.add(holder);
    try {
      await Promise.all(before.map((h) => h.released));
      return await fn();
    } finally {
      this.queue.delete(holder);
      release();
    }
  }

  /** Number of holders and waiters (for tests and leak checks). */
  get size(): number {
    return this.queue.size;
  }
}
