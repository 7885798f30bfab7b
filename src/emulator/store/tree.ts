// Each account's directory tree: one `files` row per file or directory, keyed by a stable 15-digit
// fs_id. Files point at a content row (their block list). Subtree operations rewrite path prefixes in
// one statement; a move keeps every fs_id, a copy mints new ones. Callers run these inside a
// transaction and decide the errnos; this module only stores.

import { randomInt } from 'node:crypto';
import { joinPath, baseName, parentOf } from '../paths.js';
import type { Db } from './db.js';

export interface Entry {
  fsId: number;
  accountId: number;
  path: string;
  name: string;
  isDir: boolean;
  size: number;
  /** Content key (files only). */
  content: string | null;
  /** The server's plain md5 (files only). */
  etag: string | null;
  ctime: number;
  mtime: number;
  localCtime: number;
  localMtime: number;
}

export type ListOrder = 'name' | 'time' | 'size';

interface Row {
  fs_id: number;
  account_id: number;
  path: string;
  name: string;
  isdir: number;
  size: number;
  content: string | null;
  etag: string | null;
  ctime: number;
  mtime: number;
  local_ctime: number;
  local_mtime: number;
}

const SELECT = `SELECT f.*, c.etag AS etag FROM files f LEFT JOIN contents c ON c.key = f.content`;

function fromRow(r: Row): Entry {
  return {
    fsId: r.fs_id,
    accountId: r.account_id,
    path: r.path,
    name: r.name,
    isDir: r.isdir === 1,
    size: r.size,
    content: r.content,
    etag: r.etag,
    ctime: r.ctime,
    mtime: r.mtime,
    localCtime: r.local_ctime,
    localMtime: r.local_mtime,
  };
}

/** Bounds that select every strict descendant of `path` by range ('/' < '0' in byte order). */
function below(path: string): [string, string] {
  return path === '/' ? ['/', '0'] : [path + '/', path + '0'];
}

export interface NewEntry {
  path: string;
  isDir: boolean;
  size: number;
  content: string | null;
  time: number;
  localMtime?: number;
  localCtime?: number;
}

export class Tree {
  constructor(private readonly db: Db) {}

  get(accountId: number, path: string): Entry | null {
    const r = this.db.prepare(`${SELECT} WHERE f.account_id = ? AND f.path = ?`).get(accountId, path) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  byFsId(accountId: number, fsId: number): Entry | null {
    const r = this.db.prepare(`${SELECT} WHERE f.account_id = ? AND f.fs_id = ?`).get(accountId, fsId) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /** A page of a directory's children, directories first (as the web UI shows them). */
  children(accountId: number, dir: string, order: ListOrder, desc: boolean, offset: number, limit: number): Entry[] {
    const col = order === 'time' ? 'f.mtime' : order === 'size' ? 'f.size' : 'f.name';
    const dirn = desc ? 'DESC' : 'ASC';
    const rows = this.db
      .prepare(`${SELECT} WHERE f.account_id = ? AND f.parent = ? ORDER BY f.isdir DESC, ${col} ${dirn}, f.name ${dirn} LIMIT ? OFFSET ?`)
      .all(accountId, dir, limit, offset) as Row[];
    return rows.map(fromRow);
  }

  /** Bytes the account's files take (what quota counts). */
  used(accountId: number): number {
    const r = this.db.prepare('SELECT COALESCE(SUM(size), 0) AS u FROM files WHERE account_id = ? AND isdir = 0').get(accountId) as {
      u: number;
    };
    return r.u;
  }

  /** Total size of the files in a subtree (what a copy of it adds to the quota). */
  subtreeSize(accountId: number, path: string): number {
    const [lo, hi] = below(path);
    const r = this.db
      .prepare('SELECT COALESCE(SUM(size), 0) AS u FROM files WHERE account_id = ? AND isdir = 0 AND (path = ? OR (path > ? AND path < ?))')
      .get(accountId, path, lo, hi) as { u: number };
    return r.u;
  }

  insert(accountId: number, e: NewEntry): Entry {
    const fsId = this.freshFsId();
    this.db
      .prepare(
        `INSERT INTO files (fs_id, account_id, path, parent, name, isdir, size, content, ctime, mtime, local_ctime, local_mtime)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        fsId,
        accountId,
        e.path,
        e.path === '/' ? null : parentOf(e.path),
        e.path === '/' ? '' : baseName(e.path),
        e.isDir ? 1 : 0,
        e.size,
        e.content,
        e.time,
        e.time,
        e.localCtime ?? e.localMtime ?? e.time,
        e.localMtime ?? e.time,
      );
    return this.get(accountId, e.path)!;
  }

  /**
   * Creates the missing directories of `dir` and its ancestors. Returns false (creating nothing) when
   * one of them exists as a file.
   */
  mkdirs(accountId: number, dir: string, time: number): boolean {
    const missing: string[] = [];
    for (let p = dir; ; p = parentOf(p)) {
      const e = this.get(accountId, p);
      if (e) {
        if (!e.isDir) return false;
        break;
      }
      missing.unshift(p);
      if (p === '/') break;
    }
    for (const p of missing) this.insert(accountId, { path: p, isDir: true, size: 0, content: null, time });
    return true;
  }

  /** Deletes an entry and everything below it. */
  remove(accountId: number, path: string): void {
    const [lo, hi] = below(path);
    this.db.prepare('DELETE FROM files WHERE account_id = ? AND (path = ? OR (path > ? AND path < ?))').run(accountId, path, lo, hi);
  }

  /** Moves an entry (and its subtree) to `to`, which must be free; fs_ids stay. */
  move(accountId: number, from: string, to: string): void {
    const [lo, hi] = below(from);
    this.db
      .prepare(
        `UPDATE files SET path = ? || substr(path, length(?) + 1), parent = ? || substr(parent, length(?) + 1)
         WHERE account_id = ? AND path > ? AND path < ?`,
      )
      .run(to, from, to, from, accountId, lo, hi);
    this.db
      .prepare('UPDATE files SET path = ?, parent = ?, name = ? WHERE account_id = ? AND path = ?')
      .run(to, parentOf(to), baseName(to), accountId, from);
  }

  /** Copies an entry (and its subtree) to `to`, which must be free; every copy gets a new fs_id. */
  copy(accountId: number, from: string, to: string, time: number): void {
    const [lo, hi] = below(from);
    const rows = this.db
      .prepare(`${SELECT} WHERE f.account_id = ? AND (f.path = ? OR (f.path > ? AND f.path < ?)) ORDER BY f.path`)
      .all(accountId, from, lo, hi) as Row[];
    for (const r of rows) {
      const path = r.path === from ? to : joinPath(to, r.path.slice(from.length + 1));
      this.insert(accountId, {
        path,
        isDir: r.isdir === 1,
        size: r.size,
        content: r.content,
        time,
        localCtime: r.local_ctime,
        localMtime: r.local_mtime,
      });
    }
  }

  private freshFsId(): number {
    const exists = this.db.prepare('SELECT 1 FROM files WHERE fs_id = ?');
    for (;;) {
      // Realistic 15-digit ids (TeraBox's look like 459215280158899).
      const id = 100_000_000_000_000 + randomInt(2 ** 48 - 1);
      if (exists.get(id) === undefined) return id;
    }
  }
}
