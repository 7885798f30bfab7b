// The block cache on disk: fixed-size chunks of TeraBox files under `<dataDir>/cache`, indexed in the
// drive's SQLite state (table drive_cache_chunks) so the cache survives restarts.
//
// - A chunk is written to a temporary file, renamed into place, and only then indexed with its xxh64
//   checksum: a crash of the process leaves at worst an unindexed file (swept at the next start).
//   Chunks are not fsynced (the cache is a copy; a write of 8 MiB waiting for the disk held reads
//   back): after a power loss a chunk may hold other bytes than those indexed, so a chunk that was not
//   written in this run is checked against its checksum the first time it is opened, and dropped if
//   it does not match. Every open checks the file's length against the index too.
// - Eviction is least-recently-used by `maxBytes`, capped at a share of the disk's free space. Space is
//   reserved before a write, so the cache never holds more than its limit, not even for a moment.
// - A chunk being read is pinned and never chosen for eviction (and an evicted file that is still open
//   keeps its bytes until closed, as POSIX unlink does).

import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import xxhash from 'xxhash-wasm';
import { silentLogger, type Logger } from '../../log.js';
import type { BufferPool } from '../../util/buffer-pool.js';
import { filePieces, readFully, readPieces } from '../../util/file-pieces.js';

export interface ChunkStoreOptions {
  db: Database;
  /** `<dataDir>/cache`. */
  dir: string;
  /** Most bytes kept (before the free-space cap). */
  maxBytes: number;
  /** Share of the disk's free space the cache may grow into (default 0.5). */
  freeShare?: number;
  /** Free bytes on the disk holding dir (default: statfs). */
  freeSpace?: (dir: string) => number;
  /** Where reads take their pieces from (default: the pool all local file reads share). */
  pool?: BufferPool;
  logger?: Logger;
}

interface Row {
  key: string;
  idx: number;
  size: number;
}

/** An open, pinned chunk; release() closes it and unpins it. */
export interface ChunkHandle {
  readonly size: number;
  /**
   * Bytes [from, to] of the chunk (chunk-relative, inclusive), read in pieces from the store's pool
   * (a piece may go back to it with `pool.give` once its bytes are used), the next piece read while
   * this one is being used.
   */
  read(from: number, to: number): AsyncGenerator<Buffer>;
  release(): Promise<void>;
}

const TABLE = 'drive_cache_chunks';

let hasher: Promise<(data: Uint8Array) => string> | undefined;
/** The chunk checksum (xxh64, hex); the WebAssembly hasher is instantiated once per process. */
function checksum(): Promise<(data: Uint8Array) => string> {
  hasher ??= xxhash().then(
    ({ h64Raw }) =>
      (data: Uint8Array) =>
        h64Raw(data).toString(16),
  );
  return hasher;
}

function statfsFree(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

export class ChunkStore {
  private readonly db: Database;
  private readonly dir: string;
  private readonly tmpDir: string;
  private readonly log: Logger;
  private readonly freeShare: number;
  private readonly freeSpace: (dir: string) => number;
  private readonly pins = new Map<string, number>();
  /** Chunks written or checked against their checksum in this run. */
  private readonly trusted = new Set<string>();
  private readonly sql: Record<'size' | 'sum' | 'put' | 'touch' | 'drop' | 'oldest', Statement>;
  /** Bytes indexed plus bytes reserved by writes in progress. */
  private used = 0;
  private count = 0;
  private seq: number;
  private closed = false;
  readonly maxBytes: number;
  readonly pool: BufferPool;

  constructor(opts: ChunkStoreOptions) {
    this.db = opts.db;
    this.dir = opts.dir;
    this.tmpDir = join(opts.dir, 'tmp');
    this.log = opts.logger ?? silentLogger;
    this.maxBytes = opts.maxBytes;
    this.freeShare = opts.freeShare ?? 0.5;
    this.freeSpace = opts.freeSpace ?? statfsFree;
    this.pool = opts.pool ?? filePieces;
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      key TEXT NOT NULL, idx INTEGER NOT NULL, size INTEGER NOT NULL, used INTEGER NOT NULL, path TEXT,
      PRIMARY KEY (key, idx));
      CREATE INDEX IF NOT EXISTS ${TABLE}_used ON ${TABLE} (used);`);
    // Added with unsynced writes; chunks indexed before it were fsynced and need no check.
    const columns = this.db.prepare(`SELECT name FROM pragma_table_info('${TABLE}')`).pluck().all() as string[];
    if (!columns.includes('sum')) this.db.exec(`ALTER TABLE ${TABLE} ADD COLUMN sum TEXT`);
    this.sql = {
      size: this.db.prepare(`SELECT size FROM ${TABLE} WHERE key = ? AND idx = ?`).pluck(),
      sum: this.db.prepare(`SELECT sum FROM ${TABLE} WHERE key = ? AND idx = ?`).pluck(),
      put: this.db.prepare(`INSERT OR REPLACE INTO ${TABLE} (key, idx, size, used, path, sum) VALUES (?, ?, ?, ?, ?, ?)`),
      touch: this.db.prepare(`UPDATE ${TABLE} SET used = ? WHERE key = ? AND idx = ?`),
      drop: this.db.prepare(`DELETE FROM ${TABLE} WHERE key = ? AND idx = ?`),
      oldest: this.db.prepare(`SELECT key, idx, size FROM ${TABLE} ORDER BY used LIMIT ?`),
    };
    this.seq = (this.db.prepare(`SELECT max(used) FROM ${TABLE}`).pluck().get() as number | null) ?? 0;
    this.sweep();
  }

  /** Bytes the cache holds (and has reserved for writes in progress). */
  get bytes(): number {
    return this.used;
  }

  get entries(): number {
    return this.count;
  }

  /** The limit in force now: maxBytes, or less when the disk is short of free space. */
  limit(): number {
    let free = Infinity;
    try {
      free = this.freeSpace(this.dir);
    } catch {
      // No statfs here: maxBytes alone.
    }
    return Math.min(this.maxBytes, this.used + Math.floor(free * this.freeShare));
  }

  has(key: string, idx: number): boolean {
    return this.sql.size.get(key, idx) !== undefined;
  }

  /**
   * Opens an indexed chunk of the expected size, pinned until release(); null when it is not cached
   * (or its file is missing or of the wrong length: the row is dropped then).
   */
  async open(key: string, idx: number, expected: number): Promise<ChunkHandle | null> {
    const size = this.sql.size.get(key, idx) as number | undefined;
    if (size === undefined) return null;
    const id = pinId(key, idx);
    this.pin(id);
    let fh: FileHandle | undefined;
    /** The chunk's bytes when they were just read to check them (served from memory then). */
    let checked: Buffer | undefined;
    try {
      if (size !== expected) throw new Error(`indexed at ${size} bytes, expected ${expected}`);
      fh = await open(this.file(key, idx), 'r');
      const st = await fh.stat();
      if (st.size !== expected) throw new Error(`file holds ${st.size} bytes, expected ${expected}`);
      if (!this.trusted.has(id)) checked = await this.check(fh, key, idx, expected);
    } catch (e) {
      await fh?.close().catch(() => undefined);
      this.unpin(id);
      this.log.warn({ err: e, idx }, 'cache: dropping an unusable chunk');
      this.forget({ key, idx, size });
      return null;
    }
    this.sql.touch.run(++this.seq, key, idx);
    const handle = fh;
    const pool = this.pool;
    let released = false;
    return {
      size: expected,
      read: (from: number, to: number) => (checked ? pieces(checked, from, to, pool.size) : readPieces(handle, from, to, pool)),
      release: async () => {
        if (released) return;
        released = true;
        checked = undefined;
        this.unpin(id);
        await handle.close().catch(() => undefined);
      },
    };
  }

  /**
   * Stores a whole chunk atomically. Returns false (and stores nothing) when it cannot fit: the limit
   * is smaller than the chunk, or every chunk that could make room is in use.
   */
  async put(key: string, idx: number, data: Buffer, path?: string): Promise<boolean> {
    if (this.closed) return false;
    const old = this.sql.size.get(key, idx) as number | undefined;
    if (old !== undefined) this.forget({ key, idx, size: old });
    if (!this.reserve(data.length, pinId(key, idx))) return false;
    const tmp = join(this.tmpDir, randomUUID());
    try {
      const sum = (await checksum())(data);
      const fh = await open(tmp, 'wx', 0o600);
      try {
        let off = 0;
        while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
      } finally {
        await fh.close();
      }
      mkdirSync(join(this.dir, key.slice(0, 2)), { recursive: true, mode: 0o700 });
      await rename(tmp, this.file(key, idx));
      if (this.closed) throw new Error('the cache closed');
      this.sql.put.run(key, idx, data.length, ++this.seq, path ?? null, sum);
      this.trusted.add(pinId(key, idx));
      this.count++;
      return true;
    } catch (e) {
      this.used -= data.length;
      await unlink(tmp).catch(() => undefined);
      if (!this.closed) this.log.warn({ err: e, idx }, 'cache: could not store a chunk');
      return false;
    }
  }

  /** Drops every chunk of a file version (its bytes proved wrong). */
  dropAll(key: string): void {
    for (const r of this.db.prepare(`SELECT key, idx, size FROM ${TABLE} WHERE key = ?`).all(key) as Row[]) this.forget(r);
  }

  close(): void {
    this.closed = true;
  }

  /**
   * Throws unless the chunk's bytes match the checksum it was indexed with (then it is trusted for this
   * run). Returns the bytes it read to check them; none when the row has no checksum (it was fsynced).
   */
  private async check(fh: FileHandle, key: string, idx: number, size: number): Promise<Buffer | undefined> {
    const want = this.sql.sum.get(key, idx) as string | null | undefined;
    let buf: Buffer | undefined;
    if (want) {
      buf = Buffer.allocUnsafeSlow(size);
      if ((await readFully(fh, buf, 0)) < size) throw new Error('the chunk file ended early');
      const got = (await checksum())(buf);
      if (got !== want) throw new Error(`checksum ${got} instead of ${want}: its bytes changed since it was written`);
    }
    this.trusted.add(pinId(key, idx));
    return buf;
  }

  /** Makes room for `bytes` (evicting least-recently-used unpinned chunks) and reserves it. */
  private reserve(bytes: number, writing: string): boolean {
    const limit = this.limit();
    if (bytes > limit) return false;
    while (this.used + bytes > limit) {
      const rows = this.sql.oldest.all(64) as Row[];
      const victims = rows.filter((r) => !this.pins.has(pinId(r.key, r.idx)) && pinId(r.key, r.idx) !== writing);
      if (victims.length === 0) return false;
      for (const r of victims) {
        this.forget(r);
        if (this.used + bytes <= limit) break;
      }
    }
    this.used += bytes;
    return true;
  }

  /** Drops a chunk: index row first, then the file (a crash between leaves an unindexed file, swept). */
  private forget(r: Row): void {
    this.trusted.delete(pinId(r.key, r.idx));
    if (this.sql.drop.run(r.key, r.idx).changes > 0) {
      this.used -= r.size;
      this.count--;
    }
    try {
      unlinkSync(this.file(r.key, r.idx));
    } catch {
      // Already gone.
    }
  }

  private pin(id: string): void {
    this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  private unpin(id: string): void {
    const n = (this.pins.get(id) ?? 1) - 1;
    if (n <= 0) this.pins.delete(id);
    else this.pins.set(id, n);
  }

  private file(key: string, idx: number): string {
    return join(this.dir, key.slice(0, 2), `${key}.${idx}`);
  }

  /**
   * Start-up: rows whose file is missing or of the wrong length go; files no row names go (chunks a
   * crash left unindexed, temporary files).
   */
  private sweep(): void {
    const rows = this.db.prepare(`SELECT key, idx, size FROM ${TABLE}`).all() as Row[];
    const known = new Set<string>();
    let dropped = 0;
    for (const r of rows) {
      let ok = false;
      try {
        ok = statSync(this.file(r.key, r.idx)).size === r.size;
      } catch {
        ok = false;
      }
      if (ok) {
        known.add(`${r.key}.${r.idx}`);
        this.used += r.size;
        this.count++;
      } else {
        this.sql.drop.run(r.key, r.idx);
        dropped++;
      }
    }
    let swept = 0;
    for (const sub of readdirSync(this.dir)) {
      const at = join(this.dir, sub);
      if (!statSync(at).isDirectory()) continue;
      for (const name of readdirSync(at)) {
        if (sub === 'tmp' || !known.has(name)) {
          rmSync(join(at, name), { force: true, recursive: true });
          swept++;
        }
      }
    }
    if (dropped || swept) this.log.info({ dropped, swept }, 'cache: removed torn or unindexed chunks left by an earlier run');
    const limit = this.limit();
    if (this.used > limit) {
      // The limit shrank since the last run.
      for (const r of this.sql.oldest.all(1_000_000) as Row[]) {
        if (this.used <= limit) break;
        this.forget(r);
      }
    }
  }
}

/** Bytes [from, to] of a buffer in pieces of at most `size` (views, not copies). */
async function* pieces(buf: Buffer, from: number, to: number, size: number): AsyncGenerator<Buffer> {
  for (let pos = from; pos <= to; pos += size) yield buf.subarray(pos, Math.min(pos + size, to + 1));
}

function pinId(key: string, idx: number): string {
  return `${key}.${idx}`;
}
