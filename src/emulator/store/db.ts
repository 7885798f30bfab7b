// The emulator's SQLite database (<dataDir>/emulator.db): schema, and the small key/value meta table.

import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  id INTEGER PRIMARY KEY,
  ndus TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  uk INTEGER NOT NULL,
  bdstoken TEXT NOT NULL,
  sign1 TEXT NOT NULL,
  sign3 TEXT NOT NULL,
  quota INTEGER NOT NULL,
  max_file_size INTEGER NOT NULL,
  vip INTEGER NOT NULL,
  region TEXT,
  rapid_upload INTEGER NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS files (
  fs_id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  parent TEXT,
  name TEXT NOT NULL,
  isdir INTEGER NOT NULL,
  size INTEGER NOT NULL,
  content TEXT,
  ctime INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  local_ctime INTEGER NOT NULL,
  local_mtime INTEGER NOT NULL,
  UNIQUE (account_id, path)
);
CREATE INDEX IF NOT EXISTS files_parent ON files (account_id, parent);
CREATE TABLE IF NOT EXISTS contents (
  key TEXT PRIMARY KEY,
  block_list TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  md5 TEXT,
  crc32 INTEGER,
  slice_md5 TEXT
);
CREATE INDEX IF NOT EXISTS contents_md5 ON contents (md5, size);
CREATE TABLE IF NOT EXISTS blocks (md5 TEXT PRIMARY KEY, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  uploadid TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  size INTEGER,
  block_list TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  token TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

export function openDb(dataDir: string): Db {
  const db = new Database(join(dataDir, 'emulator.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  return db;
}

/** A value kept in the meta table, created once with `make` (so it survives restarts). */
export function metaValue(db: Db, key: string, make: () => string): string {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  if (row) return row.value;
  const value = make();
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
  return value;
}

/** The per-emulator secret that signs download links. */
export function linkSecret(db: Db): Buffer {
  return Buffer.from(
    metaValue(db, 'link_secret', () => randomBytes(32).toString('hex')),
    'hex',
  );
}
