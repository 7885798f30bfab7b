// The chunk store on its own: atomic puts indexed in SQLite, length- and checksum-checked opens, LRU
// eviction under the limit (never of a chunk in use), the free-space cap, the start-up sweep, and
// pieces read into reusable buffers.

import { expect } from 'chai';
import { mkdtemp, open, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { openLocalState } from '../../../src/drive/index.js';
import { ChunkStore } from '../../../src/drive/cache/index.js';
import { BufferPool } from '../../../src/util/buffer-pool.js';

async function readAll(store: ChunkStore, key: string, idx: number, size: number): Promise<Buffer | null> {
  const h = await store.open(key, idx, size);
  if (!h) return null;
  const parts: Buffer[] = [];
  try {
    for await (const b of h.read(0, size - 1)) parts.push(b);
  } finally {
    await h.release();
  }
  return Buffer.concat(parts);
}

describe('ChunkStore', () => {
  let tmp: string;
  let db: Database;
  const dir = () => join(tmp, 'cache');
  const chunk = (n: number, fill: number) => Buffer.alloc(n, fill);

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'chunks-'));
    db = openLocalState(join(tmp, 'state.db'));
  });
  afterEach(async () => {
    db.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('stores a chunk, reads it back, and still has it after a restart', async () => {
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    expect(await s.put('aa11', 0, chunk(1000, 7))).to.equal(true);
    expect(s.bytes).to.equal(1000);
    expect((await readAll(s, 'aa11', 0, 1000))!.equals(chunk(1000, 7))).to.equal(true);
    const again = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    expect(again.entries).to.equal(1);
    expect((await readAll(again, 'aa11', 0, 1000))!.equals(chunk(1000, 7))).to.equal(true);
  });

  it('reads a sub-range of a chunk', async () => {
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    const data = Buffer.from(Array.from({ length: 600_000 }, (_, i) => i % 251));
    await s.put('bb22', 3, data);
    const h = (await s.open('bb22', 3, data.length))!;
    const parts: Buffer[] = [];
    for await (const b of h.read(1000, 400_000)) parts.push(b);
    await h.release();
    expect(Buffer.concat(parts).equals(data.subarray(1000, 400_001))).to.equal(true);
  });

  it('after a restart, serves sub-ranges of a chunk byte-exact from the bytes it read to check it', async () => {
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 22 });
    const data = Buffer.from(Array.from({ length: 2_500_000 }, (_, i) => (i * 7) % 253));
    await s.put('bc33', 0, data);
    for (const [from, to] of [
      [0, data.length - 1],
      [1000, 1_048_576],
      [data.length - 1, data.length - 1],
    ] as const) {
      const again = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 22 });
      const h = (await again.open('bc33', 0, data.length))!;
      const parts: Buffer[] = [];
      for await (const b of h.read(from, to)) parts.push(b);
      await h.release();
      expect(Buffer.concat(parts).equals(data.subarray(from, to + 1)), `${from}-${to}`).to.equal(true);
    }
  });

  it('never serves a chunk whose file has the wrong length (and forgets it)', async () => {
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    await s.put('cc33', 0, chunk(1000, 1));
    await truncate(join(dir(), 'cc', 'cc33.0'), 500);
    expect(await s.open('cc33', 0, 1000)).to.equal(null);
    expect(s.has('cc33', 0)).to.equal(false);
    expect(s.bytes).to.equal(0);
    // A chunk asked for at another length (a different cut) is not served either.
    await s.put('cc33', 1, chunk(1000, 1));
    expect(await s.open('cc33', 1, 999)).to.equal(null);
  });

  it('evicts least recently used chunks to stay under maxBytes, but never one in use', async () => {
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 3000 });
    await s.put('dd44', 0, chunk(1000, 0));
    await s.put('dd44', 1, chunk(1000, 1));
    await s.put('dd44', 2, chunk(1000, 2));
    // 0 used recently (and held open), so 1 is the least recently used one.
    const held = (await s.open('dd44', 0, 1000))!;
    expect(await s.put('dd44', 3, chunk(1000, 3))).to.equal(true);
    expect(s.bytes).to.be.at.most(3000);
    expect(s.has('dd44', 1)).to.equal(false);
    expect(s.has('dd44', 0)).to.equal(true);
    // Now 0 is the oldest but pinned: 2 goes instead.
    expect(await s.put('dd44', 4, chunk(1000, 4))).to.equal(true);
    expect(s.has('dd44', 0)).to.equal(true);
    expect(s.has('dd44', 2)).to.equal(false);
    await held.release();
    expect(s.bytes).to.equal(3000);
  });

  it('refuses a chunk that cannot fit rather than exceed the limit', async () => {
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1500 });
    await s.put('ee55', 0, chunk(1000, 0));
    const held = (await s.open('ee55', 0, 1000))!;
    expect(await s.put('ee55', 1, chunk(1000, 1))).to.equal(false);
    expect(await s.put('ee55', 2, chunk(2000, 1))).to.equal(false);
    expect(s.bytes).to.equal(1000);
    await held.release();
  });

  it('caps the limit at half the free disk space', async () => {
    let free = 5000;
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 30, freeSpace: () => free });
    expect(s.limit()).to.equal(2500);
    expect(await s.put('ff66', 0, chunk(2000, 0))).to.equal(true);
    free -= 2000;
    // 2000 held + half of 3000 free: a second chunk fits only in place of the first.
    expect(s.limit()).to.equal(3500);
    expect(await s.put('ff66', 1, chunk(2000, 0))).to.equal(true);
    expect(s.entries).to.equal(1);
    expect(s.has('ff66', 0)).to.equal(false);
  });

  it('sweeps at start: torn indexed chunks, unindexed files and temporary files go', async () => {
    let s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    await s.put('ab01', 0, chunk(1000, 1));
    await s.put('ab01', 1, chunk(1000, 2));
    await truncate(join(dir(), 'ab', 'ab01.1'), 10);
    await writeFile(join(dir(), 'ab', 'ab01.7'), 'written but never indexed');
    await writeFile(join(dir(), 'tmp', 'half-written'), 'x');
    s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    expect(s.entries).to.equal(1);
    expect(s.bytes).to.equal(1000);
    expect((await readdir(join(dir(), 'ab'))).sort()).to.deep.equal(['ab01.0']);
    expect(await readdir(join(dir(), 'tmp'))).to.deep.equal([]);
  });

  it('after a restart, drops a chunk whose bytes changed since it was written (a power loss), once checked', async () => {
    let s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    await s.put('cd01', 0, chunk(4000, 3));
    await s.put('cd01', 1, chunk(4000, 4));
    // Same length, other bytes: what an unsynced write can leave after the machine lost power.
    const fh = await open(join(dir(), 'cd', 'cd01.1'), 'r+');
    await fh.write(Buffer.alloc(100, 0), 0, 100, 1900);
    await fh.close();
    s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    expect(s.entries).to.equal(2);
    expect(await readAll(s, 'cd01', 1, 4000)).to.equal(null);
    expect(s.has('cd01', 1)).to.equal(false);
    expect(s.entries).to.equal(1);
    expect((await readAll(s, 'cd01', 0, 4000))!.equals(chunk(4000, 3))).to.equal(true);
  });

  it('serves chunks indexed before checksums existed (they were fsynced) without a check', async () => {
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    await s.put('ce01', 0, chunk(500, 9));
    db.prepare('UPDATE drive_cache_chunks SET sum = NULL').run();
    const again = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    expect((await readAll(again, 'ce01', 0, 500))!.equals(chunk(500, 9))).to.equal(true);
  });

  it('adds the checksum column to an index made by an earlier version', async () => {
    db.exec(
      'CREATE TABLE drive_cache_chunks (key TEXT NOT NULL, idx INTEGER NOT NULL, size INTEGER NOT NULL, used INTEGER NOT NULL, path TEXT, PRIMARY KEY (key, idx))',
    );
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20 });
    expect(await s.put('cf01', 0, chunk(300, 1))).to.equal(true);
    expect((await readAll(s, 'cf01', 0, 300))!.equals(chunk(300, 1))).to.equal(true);
  });

  it('reads pieces into buffers from its pool, and bytes stay right when pieces go back and are reused', async () => {
    const pool = new BufferPool(1000, 8);
    const s = new ChunkStore({ db, dir: dir(), maxBytes: 1 << 20, pool });
    const a = Buffer.from(Array.from({ length: 4500 }, (_, i) => i % 249));
    const b = Buffer.from(Array.from({ length: 4500 }, (_, i) => (i * 7) % 253));
    await s.put('da01', 0, a);
    await s.put('da01', 1, b);
    for (const [idx, want] of [
      [0, a],
      [1, b],
      [0, a],
    ] as const) {
      const h = (await s.open('da01', idx, 4500))!;
      const got: Buffer[] = [];
      for await (const piece of h.read(100, 4499)) {
        expect(piece.length).to.be.at.most(1000);
        got.push(Buffer.from(piece));
        expect(pool.give(piece)).to.equal(true);
      }
      await h.release();
      expect(Buffer.concat(got).equals(want.subarray(100))).to.equal(true);
    }
    expect(pool.idleCount).to.be.within(1, 8);
  });
});
