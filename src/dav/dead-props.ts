// Dead properties (PROPPATCH) kept in the shared local-state SQLite database: atomic patches, and
// subtree move/copy/delete so properties follow their resources.

import type { Database } from 'better-sqlite3';
import { subtreeClause } from '../drive/sql.js';

export interface DeadProp {
  ns: string;
  name: string;
  /** The value as a self-contained XML fragment (see serializeFragment). */
  value: string;
}

export type PropPatchOp = { op: 'set'; prop: DeadProp } | { op: 'remove'; ns: string; name: string };

export class DeadPropStore {
  private readonly db: Database;
  private readonly sql;

  constructor(db: Database) {
    this.db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS dav_props (
      path TEXT NOT NULL,
      ns TEXT NOT NULL,
      name TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (path, ns, name)
    ) WITHOUT ROWID`);
    this.sql = {
      listMany: db.prepare(
        'SELECT path, ns, name, value FROM dav_props WHERE path IN (SELECT value FROM json_each(@paths)) ORDER BY path, ns, name',
      ),
      set: db.prepare('INSERT OR REPLACE INTO dav_props (path, ns, name, value) VALUES (@path, @ns, @name, @value)'),
      remove: db.prepare('DELETE FROM dav_props WHERE path = @path AND ns = @ns AND name = @name'),
      removeTree: db.prepare(`DELETE FROM dav_props WHERE ${subtreeClause('path')}`),
      moveTree: db.prepare(`UPDATE dav_props SET path = @to || substr(path, length(@root) + 1) WHERE ${subtreeClause('path')}`),
      copyTree: db.prepare(
        `INSERT INTO dav_props (path, ns, name, value)
         SELECT @to || substr(path, length(@root) + 1), ns, name, value FROM dav_props WHERE ${subtreeClause('path')}`,
      ),
      copyOne: db.prepare(`INSERT INTO dav_props (path, ns, name, value) SELECT @to, ns, name, value FROM dav_props WHERE path = @root`),
    };
  }

  /** The properties of many resources in one query (a PROPFIND Depth 1 answer). */
  listMany(paths: string[]): Map<string, DeadProp[]> {
    const rows = this.sql.listMany.all({ paths: JSON.stringify(paths) }) as (DeadProp & { path: string })[];
    const out = new Map<string, DeadProp[]>();
    for (const { path, ...prop } of rows) {
      const list = out.get(path);
      if (list) list.push(prop);
      else out.set(path, [prop]);
    }
    return out;
  }

  /** Applies set/remove operations in document order, all or nothing. */
  patch(path: string, ops: PropPatchOp[]): void {
    this.db.transaction(() => {
      for (const op of ops) {
        if (op.op === 'set') this.sql.set.run({ path, ...op.prop });
        else this.sql.remove.run({ path, ns: op.ns, name: op.name });
      }
    })();
  }

  /** Deletes the properties of a resource and everything below it. */
  removeTree(path: string): void {
    this.sql.removeTree.run({ root: path });
  }

  /** Moves a subtree's properties to a new root, replacing whatever the destination subtree had. */
  moveTree(from: string, to: string): void {
    this.db.transaction(() => {
      this.removeTree(to);
      this.sql.moveTree.run({ root: from, to });
    })();
  }

  /** Copies properties to a new root: the whole subtree, or with depth 0 only the resource itself. */
  copyTree(from: string, to: string, depth: 0 | 'infinity'): void {
    this.db.transaction(() => {
      this.removeTree(to);
      (depth === 0 ? this.sql.copyOne : this.sql.copyTree).run({ root: from, to });
    })();
  }
}
