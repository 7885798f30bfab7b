// The commit journal: one SQLite row per commit in progress, so a crash between the first part and
// `create` can be finished at the next start-up instead of losing the work (and the spool file).
// Rows are written when the body is complete and hashed, updated with the uploadid and each
// confirmed part, and deleted once `create` succeeded.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { systemClock, type Clock } from '../util/clock.js';

export interface JournalEntry {
  path: string;
  size: number;
  chunkSize: number;
  blockMd5s: string[];
  contentMd5?: string;
  sliceMd5?: string;
  crc32?: number;
  spoolFile: string;
  /** Local modification time, unix seconds. */
  mtime?: number;
}

export interface JournalRow extends JournalEntry {
  id: number;
  uploadId?: string;
  /** Partseqs TeraBox has confirmed with the right md5 under `uploadId`. */
  confirmed: number[];
  /** When the commit started, ms since the epoch. */
  startedAt: number;
}

interface CommitRecord {
  id: number;
  path: string;
  size: number;
  chunk_size: number;
  block_md5s: string;
  content_md5: string | null;
  slice_md5: string | null;
  crc32: number | null;
  spool_file: string;
  mtime: number | null;
  upload_id: string | null;
  started_at: number;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS commits (
  id          INTEGER PRIMARY KEY,
  path        TEXT    NOT NULL,
  size        INTEGER NOT NULL,
  chunk_size  INTEGER NOT NULL,
  block_md5s  TEXT    NOT NULL,
  content_md5 TEXT,
  slice_md5   TEXT,
  crc32       INTEGER,
  spool_file  TEXT    NOT NULL,
  mtime       INTEGER,
  upload_id   TEXT,
  started_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS confirmed_parts (
  commit_id INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
  partseq   INTEGER NOT NULL,
  PRIMARY KEY (commit_id, partseq)
) WITHOUT ROWID;
`;

export class Journal {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(
    file: string,
    /** The clock of startedAt (the resume window is measured from it). */
    private readonly now: Clock = systemClock,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed row survives power loss, not only a killed process. In write-back mode a PUT is
    // answered once its row is committed, so the row is the promise the client was given.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      this.db.close();
      throw new Error(`upload journal ${file} has schema version ${version}; this build knows ${SCHEMA_VERSION}`);
    }
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.stmts = {
      insert: this.db.prepare<[string, number, number, string, string | null, string | null, number | null, string, number | null, number]>(
        `INSERT INTO commits (path, size, chunk_size, block_md5s, content_md5, slice_md5, crc32, spool_file, mtime, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getUploadId: this.db.prepare<[number], { upload_id: string | null }>('SELECT upload_id FROM commits WHERE id = ?'),
      setUploadId: this.db.prepare<[string, number]>('UPDATE commits SET upload_id = ? WHERE id = ?'),
      clearParts: this.db.prepare<[number]>('DELETE FROM confirmed_parts WHERE commit_id = ?'),
      confirm: this.db.prepare<[number, number]>('INSERT OR IGNORE INTO confirmed_parts (commit_id, partseq) VALUES (?, ?)'),
      remove: this.db.prepare<[number]>('DELETE FROM commits WHERE id = ?'),
      setPath: this.db.prepare<[string, number]>('UPDATE commits SET path = ?, upload_id = NULL WHERE id = ?'),
      all: this.db.prepare<[], CommitRecord>('SELECT * FROM commits ORDER BY id'),
      parts: this.db.prepare<[number], { partseq: number }>('SELECT partseq FROM confirmed_parts WHERE commit_id = ? ORDER BY partseq'),
    };
  }

  /** Records a commit about to start; returns its id. */
  begin(e: JournalEntry): number {
    const info = this.stmts.insert.run(
      e.path,
      e.size,
      e.chunkSize,
      JSON.stringify(e.blockMd5s),
      e.contentMd5 ?? null,
      e.sliceMd5 ?? null,
      e.crc32 ?? null,
      e.spoolFile,
      e.mtime ?? null,
      this.now(),
    );
    return Number(info.lastInsertRowid);
  }

  /** Records the uploadid precreate answered; parts confirmed under another uploadid no longer count. */
  setUploadId(id: number, uploadId: string): void {
    this.db.transaction(() => {
      const current = this.stmts.getUploadId.get(id)?.upload_id;
      if (current === uploadId) return;
      this.stmts.clearParts.run(id);
      this.stmts.setUploadId.run(uploadId, id);
    })();
  }

  confirmPart(id: number, partseq: number): void {
    this.stmts.confirm.run(id, partseq);
  }

  /** A commit now goes to another path (its file was moved): the upload session starts over there. */
  setPath(id: number, path: string): void {
    this.db.transaction(() => {
      this.stmts.clearParts.run(id);
      this.stmts.setPath.run(path, id);
    })();
  }

  remove(id: number): void {
    this.stmts.remove.run(id);
  }

  /** Every commit still in progress, oldest first. */
  list(): JournalRow[] {
    return this.stmts.all.all().map((r) => ({
      id: r.id,
      path: r.path,
      size: r.size,
      chunkSize: r.chunk_size,
      blockMd5s: JSON.parse(r.block_md5s) as string[],
      contentMd5: r.content_md5 ?? undefined,
      sliceMd5: r.slice_md5 ?? undefined,
      crc32: r.crc32 ?? undefined,
      spoolFile: r.spool_file,
      mtime: r.mtime ?? undefined,
      uploadId: r.upload_id ?? undefined,
      confirmed: this.stmts.parts.all(r.id).map((p) => p.partseq),
      startedAt: r.started_at,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
