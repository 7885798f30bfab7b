// Stored contents: one row per distinct block list, shared by every file (and account) holding it.
// The whole-content MD5, CRC32 and first-256-KiB MD5 (for `content-md5`, `x-bs-meta-crc32` and rapid
// upload) are computed once per content: a background worker hashes new contents one at a time after
// create (so create stays fast for big files), and a reader that needs them first (a download, a rapid
// upload lookup) joins or starts that computation instead of waiting in the queue.

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { SLICE_MD5_BYTES } from '../../terabox/wire.js';
import type { Logger } from '../../log.js';
import type { BlockStore } from './blocks.js';
import type { Db } from './db.js';

export interface ContentHashes {
  md5: string;
  crc32: number;
  sliceMd5: string;
}

export interface Content {
  key: string;
  blockList: string[];
  size: number;
  /** The server's "md5" of the content: the part MD5 for one part, md5(compact JSON list) otherwise. */
  etag: string;
  hashes: ContentHashes | null;
}

const EMPTY_MD5 = createHash('md5').digest('hex');

const md5hex = (s: string) => createHash('md5').update(s).digest('hex');

export function etagOf(blockList: readonly string[]): string {
  if (blockList.length === 0) return EMPTY_MD5;
  return blockList.length === 1 ? blockList[0]! : md5hex(JSON.stringify(blockList));
}

interface Row {
  key: string;
  block_list: string;
  size: number;
  etag: string;
  md5: string | null;
  crc32: number | null;
  slice_md5: string | null;
}

function fromRow(r: Row): Content {
  return {
    key: r.key,
    blockList: JSON.parse(r.block_list) as string[],
    size: r.size,
    etag: r.etag,
    hashes: r.md5 !== null ? { md5: r.md5, crc32: r.crc32!, sliceMd5: r.slice_md5! } : null,
  };
}

export class Contents {
  private readonly running = new Map<string, Promise<ContentHashes>>();
  private readonly queue: string[] = [];
  private worker: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly blocks: BlockStore,
    private readonly logger: Logger,
  ) {
    const pending = db.prepare('SELECT key FROM contents WHERE md5 IS NULL').all() as { key: string }[];
    for (const { key } of pending) this.schedule(key);
  }

  /** The content record of a block list (created on first use). `size` must be the blocks' total. */
  ensure(blockList: readonly string[], size: number): Content {
    const json = JSON.stringify(blockList);
    const key = md5hex(json);
    const info = this.db
      .prepare('INSERT OR IGNORE INTO contents (key, block_list, size, etag) VALUES (?, ?, ?, ?)')
      .run(key, json, size, etagOf(blockList));
    if (info.changes > 0) this.schedule(key);
    return this.get(key)!;
  }

  get(key: string): Content | null {
    const r = this.db.prepare('SELECT * FROM contents WHERE key = ?').get(key) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /** The content's hashes, computing them now if the worker has not yet. */
  hashes(key: string): Promise<ContentHashes> {
    const c = this.get(key);
    if (!c) return Promise.reject(new Error('unknown content'));
    if (c.hashes) return Promise.resolve(c.hashes);
    let p = this.running.get(key);
    if (!p) {
      p = this.compute(c).finally(() => this.running.delete(key));
      this.running.set(key, p);
    }
    return p;
  }

  /** A stored content with this whole-file MD5 and size (hashing any not-yet-hashed one of that size first). */
  async findByMd5(md5: string, size: number): Promise<Content | null> {
    const unhashed = this.db.prepare('SELECT key FROM contents WHERE md5 IS NULL AND size = ?').all(size) as { key: string }[];
    await Promise.all(unhashed.map((r) => this.hashes(r.key).catch(() => undefined)));
    const r = this.db.prepare('SELECT * FROM contents WHERE md5 = ? AND size = ? LIMIT 1').get(md5, size) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /** Stops the worker and waits for running computations to give up. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await Promise.allSettled([this.worker, ...this.running.values()]);
  }

  private schedule(key: string): void {
    this.queue.push(key);
    if (!this.worker) {
      this.worker = this.drain().finally(() => {
        this.worker = null;
      });
    }
  }

  private async drain(): Promise<void> {
    // Yield first so the request that scheduled this answers before hashing starts.
    await new Promise((r) => setImmediate(r));
    for (let key = this.queue.shift(); key !== undefined && !this.stopped; key = this.queue.shift()) {
      try {
        await this.hashes(key);
      } catch (e) {
        if (!this.stopped) this.logger.warn({ err: e, content: key }, 'hashing stored content failed');
      }
    }
  }

  private async compute(c: Content): Promise<ContentHashes> {
    const whole = createHash('md5');
    const slice = createHash('md5');
    let crc = 0;
    let sliceLeft = SLICE_MD5_BYTES;
    for (const md5 of c.blockList) {
      for await (const chunk of this.blocks.read(md5, 0, Infinity) as AsyncIterable<Buffer>) {
        if (this.stopped) throw new Error('emulator stopped');
        whole.update(chunk);
        crc = crc32(chunk, crc);
        if (sliceLeft > 0) {
          slice.update(chunk.subarray(0, sliceLeft));
          sliceLeft -= Math.min(sliceLeft, chunk.length);
        }
      }
    }
    const hashes = { md5: whole.digest('hex'), crc32: crc >>> 0, sliceMd5: slice.digest('hex') };
    this.db
      .prepare('UPDATE contents SET md5 = ?, crc32 = ?, slice_md5 = ? WHERE key = ?')
      .run(hashes.md5, hashes.crc32, hashes.sliceMd5, c.key);
    return hashes;
  }
}
