import { expect } from 'chai';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HashPool } from '../../src/upload/hash-pool.js';
import type { HashJob } from '../../src/upload/hash-pool.js';
import { blockMd5s, wholeDigests } from './helpers.js';
import { bytes, KiB, tempDir } from '../support/index.js';

// A job that needs the whole-file digests is split over two threads when the pool has two (block
// MD5s on one, whole-file MD5/CRC32 on the other); with one thread, one job does both.
describe('upload/hash-pool: one upload hashed on two threads', () => {
  const C = 64 * KiB;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let single: HashPool;
  let pair: HashPool;

  before(async () => {
    tmp = await tempDir();
    single = new HashPool(1);
    pair = new HashPool(2);
  });
  after(async () => {
    await Promise.all([single.close(), pair.close()]);
    await tmp.remove();
  });

  /** Writes `data` to a new file in uneven pieces, telling the job after each one. */
  async function writeFollowed(file: string, data: Buffer, job: HashJob): Promise<void> {
    const fh = await open(file, 'wx');
    let written = 0;
    for (const piece of [3, C, 2 * C + 7, 5 * C - 10, data.length]) {
      const n = Math.min(piece, data.length - written);
      await fh.write(data, written, n, written);
      written += n;
      job.grow(written);
    }
    await fh.close();
  }

  for (const [label, size] of [
    ['a one-byte file', 1],
    ['a file of exactly one block', C],
    ['a file of nine blocks and 5 bytes, longer than the 256 KiB slice', 9 * C + 5],
  ] as const) {
    it(`gives the same digests with one thread and with two for ${label} hashed while it is written`, async () => {
      const data = bytes(size);
      const results = [];
      for (const [name, pool] of [
        ['single', single],
        ['pair', pair],
      ] as const) {
        const file = join(tmp.dir, `${name}-${size}`);
        const job = pool.start(file, C, true);
        await writeFollowed(file, data, job);
        results.push(await job.finish(data.length));
      }
      for (const d of results) {
        expect(d.size).to.equal(size);
        expect(d.chunkSize).to.equal(C);
        expect(d.blockMd5s).to.deep.equal(blockMd5s(data, C));
        expect(d.whole).to.deep.equal(wholeDigests(data));
      }
    });
  }

  it('rejects a two-thread job whose file is shorter than told, then hashes the next job in full', async () => {
    const file = join(tmp.dir, 'short');
    await writeFile(file, bytes(3 * C));
    let error: unknown;
    await pair.hashFile(file, C, 5 * C, true).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.match(new RegExp(`ended at ${3 * C} bytes`));

    const data = bytes(4 * C + 1);
    const next = join(tmp.dir, 'after-short');
    await writeFile(next, data);
    const d = await pair.hashFile(next, C, data.length, true);
    expect(d.blockMd5s).to.deep.equal(blockMd5s(data, C));
    expect(d.whole).to.deep.equal(wholeDigests(data));
  });

  it('cancels both halves of a two-thread job, and the threads serve the next jobs', async () => {
    const data = bytes(6 * C);
    const file = join(tmp.dir, 'cancelled');
    await writeFile(file, data);
    const job = pair.start(file, C, true);
    job.grow(2 * C);
    job.cancel();

    const results = await Promise.all([0, 1, 2].map(() => pair.hashFile(file, C, data.length, true)));
    for (const d of results) {
      expect(d.blockMd5s).to.deep.equal(blockMd5s(data, C));
      expect(d.whole).to.deep.equal(wholeDigests(data));
    }
  });

  it('hashes block MD5s alone on one thread when the whole-file digests are not wanted', async () => {
    const data = bytes(3 * C + 9);
    const file = join(tmp.dir, 'blocks-only');
    await writeFile(file, data);
    const d = await pair.hashFile(file, C, data.length, false);
    expect(d.blockMd5s).to.deep.equal(blockMd5s(data, C));
    expect(d.whole).to.equal(undefined);
  });
});
