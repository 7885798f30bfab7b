// WebDAV write locks (RFC 4918 §6, §7): the LockStore interface the handlers use, and its SQLite
// implementation in the shared local-state database so a restart keeps every lock.

import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { ancestorsOf, isWithin } from './paths.js';
import { subtreeClause } from '../drive/sql.js';
import { systemClock, type Clock } from '../util/clock.js';

export type LockScope = 'exclusive' | 'shared';
export type LockDepth = 0 | 'infinity';

export interface NewLock {
  /** The path the lock was taken on (its lockroot). */
  root: string;
  scope: LockScope;
  depth: LockDepth;
  /** The client's DAV:owner content, as a self-contained XML fragment ('' when none). */
  owner: string;
  /** The authenticated user who took the lock (null when anonymous). */
  principal: string | null;
  timeoutSeconds: number;
}

export interface ActiveLock extends NewLock {
  token: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

/** Thrown by create() when an existing lock is incompatible with the new one. */
export class LockConflictError extends Error {
  readonly conflicting: ActiveLock;
  constructor(conflicting: ActiveLock) {
    super(`Conflicts with the lock on ${conflicting.root}`);
    this.name = 'LockConflictError';
    this.conflicting = conflicting;
  }
}

export interface LockStore {
  /** Takes a new lock, unless a live lock conflicts with it (then LockConflictError). */
  create(lock: NewLock): ActiveLock;
  get(token: string): ActiveLock | null;
  /** Live locks that apply to `path`: rooted there, or on an ancestor with depth infinity. */
  covering(path: string): ActiveLock[];
  /** Live locks rooted at `path` or anywhere below it. */
  within(path: string): ActiveLock[];
  refresh(token: string, timeoutSeconds: number): ActiveLock | null;
  remove(token: string): boolean;
  /** Drops the locks rooted at `path` or below it (the resources are gone). */
  removeWithin(path: string): void;
}

/** True when a lock applies to `path`. */
export function lockCovers(lock: ActiveLock, path: string): boolean {
  return lock.root === path || (lock.depth === 'infinity' && isWithin(path, lock.root));
}

interface LockRow {
  token: string;
  root: string;
  scope: LockScope;
  depth: number;
  owner: string;
  principal: string | null;
  timeout: number;
  expires_at: number;
}

function fromRow(r: LockRow): ActiveLock {
  return {
    token: r.token,
    root: r.root,
    scope: r.scope,
    depth: r.depth === 0 ? 0 : 'infinity',
    owner: r.owner,
    principal: r.principal,
    timeoutSeconds: r.timeout,
    expiresAt: r.expires_at,
  };
}

export class SqliteLockStore implements LockStore {
  private readonly db: Database;
  private readonly now: Clock;
  private readonly sql;

  constructor(db: Database, now: Clock = systemClock) {
    this.db = db;
    this.now = now;
    db.exec(`CREATE TABLE IF NOT EXISTS dav_locks (
      token TEXT PRIMARY KEY,
      root TEXT NOT NULL,
      scope TEXT NOT NULL,
      depth INTEGER NOT NULL,
      owner TEXT NOT NULL,
      principal TEXT,
      timeout INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS dav_locks_root ON dav_locks (root)`);
    this.sql = {
      purge: db.prepare('DELETE FROM dav_locks WHERE expires_at <= @now'),
      insert: db.prepare(
        `INSERT INTO dav_locks (token, root, scope, depth, owner, principal, timeout, expires_at)
         VALUES (@token, @root, @scope, @depth, @owner, @principal, @timeout, @expiresAt)`,
      ),
      get: db.prepare('SELECT * FROM dav_locks WHERE token = @token AND expires_at > @now'),
      covering: db.prepare(
        `SELECT * FROM dav_locks WHERE expires_at > @now AND
         (root = @path OR (depth <> 0 AND root IN (SELECT value FROM json_each(@ancestors))))`,
      ),
      within: db.prepare(`SELECT * FROM dav_locks WHERE expires_at > @now AND ${subtreeClause('root')}`),
      refresh: db.prepare('UPDATE dav_locks SET timeout = @timeout, expires_at = @expiresAt WHERE token = @token AND expires_at > @now'),
      remove: db.prepare('DELETE FROM dav_locks WHERE token = @token'),
      removeWithin: db.prepare(`DELETE FROM dav_locks WHERE ${subtreeClause('root')}`),
    };
  }

  create(lock: NewLock): ActiveLock {
    return this.db.transaction(() => {
      this.sql.purge.run({ now: this.now() });
      const nearby = lock.depth === 'infinity' ? [...this.covering(lock.root), ...this.within(lock.root)] : this.covering(lock.root);
      const conflict = nearby.find((l) => lock.scope === 'exclusive' || l.scope === 'exclusive');
      if (conflict) throw new LockConflictError(conflict);
      const active: ActiveLock = { ...lock, token: `opaquelocktoken:${randomUUID()}`, expiresAt: this.now() + lock.timeoutSeconds * 1000 };
      this.sql.insert.run({
        token: active.token,
        root: active.root,
        scope: active.scope,
        depth: active.depth === 0 ? 0 : -1,
        owner: active.owner,
        principal: active.principal,
        timeout: active.timeoutSeconds,
        expiresAt: active.expiresAt,
      });
      return active;
    })();
  }

  get(token: string): ActiveLock | null {
    const row = this.sql.get.get({ token, now: this.now() }) as LockRow | undefined;
    return row ? fromRow(row) : null;
  }

  covering(path: string): ActiveLock[] {
    const rows = this.sql.covering.all({ path, now: this.now(), ancestors: JSON.stringify(ancestorsOf(path)) }) as LockRow[];
    return rows.map(fromRow);
  }

  within(path: string): ActiveLock[] {
    return (this.sql.within.all({ root: path, now: this.now() }) as LockRow[]).map(fromRow);
  }

  refresh(token: string, timeoutSeconds: number): ActiveLock | null {
    const now = this.now();
    const { changes } = this.sql.refresh.run({ token, timeout: timeoutSeconds, expiresAt: now + timeoutSeconds * 1000, now });
    return changes > 0 ? this.get(token) : null;
  }

  remove(token: string): boolean {
    return this.sql.remove.run({ token }).changes > 0;
  }

  removeWithin(path: string): void {
    this.sql.removeWithin.run({ root: path });
  }
}
