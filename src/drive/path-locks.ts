// Per-path async mutex: writes, moves and deletes touching the same path run one after another, so two
// PUTs to one file cannot interleave their upload, overlay and cache steps.

export class PathLocks {
  /** The tail of each path's queue: resolves when the last holder queued so far has released it. */
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs fn while holding every path in `paths`. Paths are taken in sorted order so that two callers
   * locking the same pair (a MOVE a→b and a MOVE b→a) cannot deadlock.
   */
  async with<T>(paths: string[], fn: () => Promise<T>): Promise<T> {
    const keys = [...new Set(paths)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const key of keys) releases.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Number of paths currently locked or waited on (for tests and leak checks). */
  get size(): number {
    return this.tails.size;
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      // The last holder leaves no entry behind; a waiter that queued meanwhile owns the tail now.
      if (this.tails.get(key) === tail) this.tails.delete(key);
      release();
    };
  }
}
