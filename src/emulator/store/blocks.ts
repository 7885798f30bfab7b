// Content-addressed block store shared by every account: <dataDir>/blocks/<aa>/<md5>, one file per
// distinct part MD5. Bytes are written to a temp name and renamed only once complete and synced, so a
// crash never leaves a truncated block under its MD5. Blocks are never deleted (the server keeps
// content for rapid upload); the `blocks` table indexes them.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Db } from './db.js';

export class BlockTooLargeError extends Error {
  constructor(limit: number) {
    super(`block larger than ${limit} bytes`);
  }
}

export class BlockStore {
  private readonly root: string;
  private readonly tmp: string;

  constructor(
    dataDir: string,
    private readonly db: Db,
  ) {
    this.root = join(dataDir, 'blocks');
    this.tmp = join(this.root, 'tmp');
    // Leftovers of writes a crash interrupted.
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
  }

  has(md5: string): boolean {
    return this.db.prepare('SELECT 1 FROM blocks WHERE md5 = ?').get(md5) !== undefined;
  }

  /** Sizes of the blocks, or null for each block the store lacks. */
  sizes(md5s: readonly string[]): (number | null)[] {
    const q = this.db.prepare('SELECT size FROM blocks WHERE md5 = ?');
    return md5s.map((m) => (q.get(m) as { size: number } | undefined)?.size ?? null);
  }

  totals(): { blocks: number; bytes: number } {
    const row = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM blocks').get() as { n: number; b: number };
    return { blocks: row.n, bytes: row.b };
  }

  file(md5: string): string {
    return join(this.root, md5.slice(0, 2), md5);
  }

  /**
   * Streams `source` into the store while hashing it and returns the block's MD5 and size. The bytes
   * are stored under their MD5 only when the source ends normally within `limit` and every write
   * succeeded; otherwise nothing is, and the promise rejects once the source has ended.
   */
  async write(source: AsyncIterable<Buffer>, limit: number): Promise<{ md5: string; size: number }> {
    const tmp = join(this.tmp, randomBytes(12).toString('hex'));
    const hash = createHash('md5');
    let fh: FileHandle | null = null;
    let size = 0;
    let failure: unknown = null;
    let stored = false;
    try {
      // Iterate before any await: the source's error listeners must be in place at once, or an error
      // it raises meanwhile (a cut-off multipart body) would go unhandled.
      for await (const chunk of source) {
        size += chunk.length;
        // Past the limit or a failed write the rest is read and dropped: a source left unread would
        // stall the request it comes from, which then could not be answered.
        if (size > limit || failure !== null) continue;
        try {
          fh ??= await open(tmp, 'w');
          hash.update(chunk);
          // write(2) may take only part of a chunk (a disk filling up): write the rest, so the error
          // that follows surfaces instead of a block shorter than its MD5 says.
          for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
        } catch (e) {
          failure = e;
        }
      }
      if (failure !== null) throw failure;
      if (size > limit) throw new BlockTooLargeError(limit);
      fh ??= await open(tmp, 'w');
      await fh.datasync();
      await fh.close();
      const md5 = hash.digest('hex');
      if (!this.has(md5)) {
        await mkdir(join(this.root, md5.slice(0, 2)), { recursive: true });
        await rename(tmp, this.file(md5));
        stored = true;
        this.db.prepare('INSERT OR IGNORE INTO blocks (md5, size) VALUES (?, ?)').run(md5, size);
      }
      return { md5, size };
    } finally {
      await fh?.close().catch(() => undefined);
      if (!stored) await rm(tmp, { force: true });
    }
  }

  /** Reads bytes [start, end] (inclusive) of one block. */
  read(md5: string, start: number, end: number): Readable {
    return createReadStream(this.file(md5), { start, end });
  }
}
