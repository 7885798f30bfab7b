import { expect } from 'chai';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HashPool } from '../../src/upload/hash-pool.js';
import { blockMd5s, wholeDigests } from './helpers.js';
import { bytes, KiB, tempDir } from '../support/index.js';

describe('upload/hash-pool', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let pool: HashPool;

  before(async () => {
    tmp = await tempDir();
    pool = new HashPool(2);
  });
  after(async () => {
    await pool.close();
    await tmp.remove();
  });

  const C = 64 * KiB;
  for (const [label, size] of [
    ['an empty file', 0],
    ['a one-byte file', 1],
    ['a file one byte short of a block', C - 1],
    ['a file of exactly one block', C],
    ['a file one byte over a block', C + 1],
    ['a file of three blocks and 17 bytes', 3 * C + 17],
    ['a file longer than the 256 KiB slice', 5 * C + 3],
  ] as const) {
    it(`cuts and hashes ${label} at exact block boundaries`, async () => {
      const data = bytes(size);
      const file = join(tmp.dir, `f-${size}`);
      await writeFile(file, data);
      const d = await pool.hashFile(file, C, size, true);
      expect(d.size).to.equal(size);
      expect(d.chunkSize).to.equal(C);
      expect(d.blockMd5s).to.deep.equal(blockMd5s(data, C));
      expect(d.whole).to.deep.equal(wholeDigests(data));
    });
  }

  it('hashes 4 MiB blocks of the real ladder', async () => {
    const size = 2 * 4096 * KiB + 5;
    const data = bytes(size);
    const file = join(tmp.dir, 'real-ladder');
    await writeFile(file, data);
    const d = await pool.hashFile(file, 4096 * KiB, size, false);
    expect(d.blockMd5s).to.deep.equal(blockMd5s(data, 4096 * KiB));
    expect(d.whole).to.equal(undefined);
  });

  it('follows a file while it is written and answers only after the final length', async () => {
    const data = bytes(10 * C + 123);
    const file = join(tmp.dir, 'growing');
    // The job starts before the writer creates the file, as in an upload.
    const job = pool.start(file, C, true);
    const fh = await open(file, 'wx');
    let written = 0;
    for (const piece of [1, C - 1, 3 * C + 5, 17, 6 * C + 101]) {
      await fh.write(data.subarray(written, written + piece), 0, piece, written);
      written += piece;
      job.grow(written);
    }
    await fh.close();
    expect(written).to.equal(data.length);
    const d = await job.finish(written);
    expect(d.blockMd5s).to.deep.equal(blockMd5s(data, C));
    expect(d.whole).to.deep.equal(wholeDigests(data));
  });

  it('keeps concurrent jobs apart', async () => {
    const files = await Promise.all(
      [3, 7, 1, 12, 5].map(async (blocks, i) => {
        const data = bytes(blocks * C + i);
        const file = join(tmp.dir, `concurrent-${i}`);
        await writeFile(file, data);
        return { data, file };
      }),
    );
    const results = await Promise.all(files.map((f) => pool.hashFile(f.file, C, f.data.length, true)));
    results.forEach((d, i) => {
      expect(d.blockMd5s).to.deep.equal(blockMd5s(files[i]!.data, C));
      expect(d.whole).to.deep.equal(wholeDigests(files[i]!.data));
    });
  });

  it('rejects when the file is shorter than the length it was told', async () => {
    const file = join(tmp.dir, 'short');
    await writeFile(file, bytes(100));
    let error: unknown;
    await pool.hashFile(file, C, 200, false).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.match(/ended at 100 bytes/);
  });

  it('rejects when the spool file does not exist', async () => {
    let error: unknown;
    await pool.hashFile(join(tmp.dir, 'missing'), C, 10, false).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.match(/ENOENT/);
  });

  it('warm() starts its workers before the first job, which they then serve; after close it does nothing', async () => {
    const warmPool = new HashPool(2);
    try {
      warmPool.warm();
      const threads = (warmPool as unknown as { slots: unknown[] }).slots.filter(Boolean).length;
      expect(threads).to.equal(2);
      const data = bytes(3 * C + 5, 7);
      const file = join(tmp.dir, 'warm');
      await writeFile(file, data);
      const d = await warmPool.hashFile(file, C, data.length, true);
      expect(d.blockMd5s).to.deep.equal(blockMd5s(data, C));
      expect(d.whole).to.deep.equal(wholeDigests(data));
    } finally {
      await warmPool.close();
    }
    warmPool.warm();
    expect((warmPool as unknown as { slots: unknown[] }).slots.filter(Boolean).length).to.equal(0);
  });

  it('still hashes after a job was cancelled', async () => {
    const data = bytes(2 * C);
    const file = join(tmp.dir, 'cancelled');
    await writeFile(file, data);
    const job = pool.start(file, C, false);
    job.grow(C);
    job.cancel();
    const d = await pool.hashFile(file, C, data.length, false);
    expect(d.blockMd5s).to.deep.equal(blockMd5s(data, C));
  });
});
