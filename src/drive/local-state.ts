// Opens the shared local-state database (SQLite, WAL): the drive's overlay tables and the WebDAV
// layer's dav_ tables live side by side in it.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';

export function openLocalState(path: string): Database {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new BetterSqlite3(path);
  try {
    db.pragma('journal_mode = WAL');
    // WAL with NORMAL sync survives a process crash; only an OS crash can drop the last commits.
    db.pragma('synchronous = NORMAL');
    // The DAV layer writes to the same file from the same process; wait rather than fail on a lock.
    db.pragma('busy_timeout = 5000');
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}
