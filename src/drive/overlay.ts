// The local overlay: files TeraBox must not or cannot hold (0-byte files, OS junk), as rows in the
// shared state DB (table drive_overlay) with their bytes in overlayDir. Rows are the truth: a content
// file exists before its row points to it and is unlinked only after no row does.

import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, unlinkSync, createWriteStream } from 'node:fs';
import { copyFile, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database, Statement } from 'better-sqlite3';
import { DriveError, type ByteRange } from './types.js';
import { parentOf, rebase } from './paths.js';
import { subtreeBounds } from './sql.js';
import { systemClock, type Clock } from '../util/clock.js';
import { fileRangeStream } from '../util/file-pieces.js';

export interface OverlayRow {
  path: string;
  size: number;
  /** ms since the epoch. */
  mtime: number;
  ctime: number;
  /** Content file name in overlayDir; null for a 0-byte file. */
  content: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS drive_overlay (
  path    TEXT PRIMARY KEY,
  parent  TEXT NOT NULL,
  size    INTEGER NOT NULL,
  mtime   INTEGER NOT NULL,
  ctime   INTEGER NOT NULL,
  content TEXT
);
CREATE INDEX IF NOT EXISTS drive_overlay_parent ON drive_overlay (parent);
`;

/** Content files are named by a random UUID; a `.tmp` suffix marks one still being written. */
const CONTENT_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.tmp)?$/;

export class Overlay {
  private readonly q: {
    get: Statement<[string], OverlayRow>;
    children: Statement<[string], OverlayRow>;
    tree: Statement<[string, string, string], OverlayRow>;
    upsert: Statement<[OverlayRow & { parent: string }]>;
    remove: Statement<[string]>;
    removeTree: Statement<[string, string, string]>;
    allContent: Statement<[], { content: string }>;
  };

  constructor(
    private readonly db: Database,
    private readonly dir: string,
    /** The clock of mtime and ctime. */
    private readonly now: Clock = systemClock,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    db.exec(SCHEMA);
    const cols = 'path, size, mtime, ctime, content';
    const inTree = 'path = ? OR (path > ? AND path < ?)';
    this.q = {
      get: db.prepare(`SELECT ${cols} FROM drive_overlay WHERE path = ?`),
      children: db.prepare(`SELECT ${cols} FROM drive_overlay WHERE parent = ?`),
      tree: db.prepare(`SELECT ${cols} FROM drive_overlay WHERE ${inTree}`),
      upsert: db.prepare(
        `INSERT INTO drive_overlay (path, parent, size, mtime, ctime, content)
         VALUES (@path, @parent, @size, @mtime, @ctime, @content)
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,
           ctime = excluded.ctime, content = excluded.content`,
      ),
      remove: db.prepare('DELETE FROM drive_overlay WHERE path = ?'),
      removeTree: db.prepare(`DELETE FROM drive_overlay WHERE ${inTree}`),
      allContent: db.prepare('SELECT content FROM drive_overlay WHERE content IS NOT NULL'),
    };
    this.sweep();
  }

  get(path: string): OverlayRow | undefined {
    return this.q.get.get(path);
  }

  /** Rows directly inside dir. */
  children(dir: string): OverlayRow[] {
    return this.q.children.all(dir);
  }

  /** The row at path and every row below it. */
  tree(path: string): OverlayRow[] {
    return this.q.tree.all(path, ...subtreeBounds(path));
  }

  /**
   * Stores body as the file at path: written to a temp file and renamed, so a crash or an abort never
   * leaves a half-written file behind a row. An empty body keeps no content file. When `size` is known
   * a body that ends early is refused (ABORTED) and nothing changes.
   */
  async write(path: string, body: Readable, opts: { size?: number; signal?: AbortSignal } = {}): Promise<OverlayRow> {
    const id = randomUUID();
    const tmp = join(this.dir, `${id}.tmp`);
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }), { signal: opts.signal });
      const { size } = await stat(tmp);
      if (opts.size !== undefined && size !== opts.size) {
        throw new DriveError('ABORTED', `body of ${path} ended after ${size} of ${opts.size} bytes`);
      }
      let content: string | null = null;
      if (size > 0) {
        await rename(tmp, join(this.dir, id));
        content = id;
      } else {
        await unlink(tmp);
      }
      return this.put(path, size, content);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  /** Records a 0-byte file at path (a row only). */
  putEmpty(path: string): OverlayRow {
    return this.put(path, 0, null);
  }

  /** The bytes of row (a range of them when given). */
  async open(row: OverlayRow, range?: ByteRange): Promise<Readable> {
    if (row.content === null || row.size === 0) return Readable.from([]);
    // Opened before returning so a missing content file fails the read, not the stream mid-response.
    const handle = await open(join(this.dir, row.content), 'r');
    return fileRangeStream(handle, range?.start ?? 0, range?.end ?? row.size - 1);
  }

  /** Removes the row at path and every row below it (their content files too). */
  removeTree(path: string): void {
    const doomed = this.tree(path);
    if (doomed.length === 0) return;
    this.q.removeTree.run(path, ...subtreeBounds(path));
    this.unlinkContents(doomed);
  }

  /** Moves the row at `from` and the rows below it to `to`, replacing whatever rows were at `to`. */
  move(from: string, to: string): void {
    const moving = this.tree(from);
    const replaced = this.db.transaction(() => {
      const old = this.tree(to);
      this.q.removeTree.run(to, ...subtreeBounds(to));
      this.q.removeTree.run(from, ...subtreeBounds(from));
      for (const row of moving) {
        const path = rebase(row.path, from, to);
        this.q.upsert.run({ ...row, path, parent: parentOf(path) });
      }
      return old;
    })();
    this.unlinkContents(replaced);
  }

  /** Copies the row at `from` and the rows below it to `to` (content files duplicated), replacing rows at `to`. */
  async copy(from: string, to: string): Promise<void> {
    const now = this.now();
    const copies: OverlayRow[] = [];
    try {
      for (const row of this.tree(from)) {
        let content: string | null = null;
        if (row.content !== null) {
          content = randomUUID();
          await copyFile(join(this.dir, row.content), join(this.dir, content));
        }
        copies.push({ ...row, path: rebase(row.path, from, to), ctime: now, content });
      }
    } catch (e) {
      this.unlinkContents(copies);
      throw e;
    }
    const replaced = this.db.transaction(() => {
      const old = this.tree(to);
      this.q.removeTree.run(to, ...subtreeBounds(to));
      for (const row of copies) this.q.upsert.run({ ...row, parent: parentOf(row.path) });
      return old;
    })();
    this.unlinkContents(replaced);
  }

  private put(path: string, size: number, content: string | null): OverlayRow {
    const now = this.now();
    const replaced = this.db.transaction(() => {
      const previous = this.get(path);
      const row: OverlayRow = { path, size, mtime: now, ctime: previous?.ctime ?? now, content };
      this.q.upsert.run({ ...row, parent: parentOf(path) });
      return { row, previous };
    })();
    if (replaced.previous) this.unlinkContents([replaced.previous]);
    return replaced.row;
  }

  private unlinkContents(rows: OverlayRow[]): void {
    for (const { content } of rows) {
      if (content !== null) unlink(join(this.dir, content)).catch(() => undefined);
    }
  }

  /** Removes content files no row points to: leftovers of writes cut short by a crash. */
  private sweep(): void {
    const live = new Set(this.q.allContent.all().map((r) => r.content));
    for (const name of readdirSync(this.dir)) {
      if (CONTENT_NAME.test(name) && !live.has(name)) {
        try {
          unlinkSync(join(this.dir, name));
        } catch {
          // Already gone, or not ours to remove: either way nothing points to it.
        }
      }
    }
  }
}
