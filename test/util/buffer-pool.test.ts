import { expect } from 'chai';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BufferPool, fileRangeStream, filePieces, readPieces } from '../../src/util/buffer-pool.js';
import { bytes, tempDir, waitFor } from '../support/index.js';

describe('BufferPool', () => {
  it('hands out buffers of its size and reuses one given back', () => {
    const pool = new BufferPool(1024, 4);
    const a = pool.take();
    expect(a.length).to.equal(1024);
    expect(pool.give(a)).to.equal(true);
    expect(pool.idleCount).to.equal(1);
    expect(pool.take()).to.equal(a);
    expect(pool.idleCount).to.equal(0);
  });

  it('takes back a sub-range of a buffer it lent, as the whole buffer', () => {
    const pool = new BufferPool(1024, 4);
    const a = pool.take();
    expect(pool.give(a.subarray(0, 10))).to.equal(true);
    const again = pool.take();
    expect(again).to.equal(a);
    expect(again.length).to.equal(1024);
  });

  it('refuses buffers it did not lend, and a buffer given twice is reused once', () => {
    const pool = new BufferPool(1024, 4);
    expect(pool.give(Buffer.alloc(1024))).to.equal(false);
    expect(pool.give(Buffer.from('x'))).to.equal(false);
    const a = pool.take();
    expect(pool.give(a)).to.equal(true);
    expect(pool.give(a)).to.equal(false);
    expect(pool.idleCount).to.equal(1);
    const b = pool.take();
    const c = pool.take();
    expect(b).to.equal(a);
    expect(c).to.not.equal(a);
  });

  it('keeps at most maxIdle buffers for reuse', () => {
    const pool = new BufferPool(16, 2);
    const lent = [pool.take(), pool.take(), pool.take()];
    for (const b of lent) expect(pool.give(b)).to.equal(true);
    expect(pool.idleCount).to.equal(2);
  });

  it('lends buffers of memory of their own, never a slice of a shared pool', () => {
    const pool = new BufferPool(100, 2);
    const a = pool.take();
    expect(a.byteOffset).to.equal(0);
    expect(a.buffer.byteLength).to.equal(100);
  });
});

describe('readPieces and fileRangeStream', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let file: string;
  const data = bytes(2 * 1024 * 1024 + 12_345, 4);

  before(async () => {
    tmp = await tempDir();
    file = join(tmp.dir, 'data.bin');
    await writeFile(file, data);
  });
  after(() => tmp.remove());

  it('reads a range across pieces byte-exact, also when every piece goes back to the pool as soon as it is copied', async () => {
    for (const [from, to] of [
      [0, data.length - 1],
      [5, 1024 * 1024],
      [1024 * 1024 - 1, 2 * 1024 * 1024 + 1],
      [data.length - 1, data.length - 1],
    ] as const) {
      const stream = fileRangeStream(await open(file, 'r'), from, to);
      const got: Buffer[] = [];
      for await (const piece of stream as AsyncIterable<Buffer>) {
        expect(piece.length).to.be.at.most(filePieces.size);
        got.push(Buffer.from(piece));
        filePieces.give(piece);
      }
      expect(Buffer.concat(got).equals(data.subarray(from, to + 1)), `${from}-${to}`).to.equal(true);
    }
  });

  it('closes the file when the stream is destroyed before its first read (an upload refused before reading its body)', async () => {
    const fh = await open(file, 'r');
    fileRangeStream(fh, 0, data.length - 1).destroy();
    await waitFor(() => fh.fd === -1, { what: 'the unread stream closed its file' });
  });

  it('closes the file when the stream ends and when it is destroyed early', async () => {
    const whole = await open(file, 'r');
    for await (const _ of fileRangeStream(whole, 0, 99) as AsyncIterable<Buffer>) {
      // read to the end
    }
    expect(whole.fd).to.equal(-1);
    const early = await open(file, 'r');
    const stream = fileRangeStream(early, 0, data.length - 1);
    await new Promise<void>((resolve) => stream.once('readable', () => resolve()));
    stream.destroy();
    await waitFor(() => early.fd === -1, { what: 'the destroyed stream closed its file' });
  });

  it('fails when the file is shorter than the range asked for', async () => {
    const fh = await open(file, 'r');
    try {
      const pool = new BufferPool(4096, 2);
      let err: unknown;
      try {
        for await (const _ of readPieces(fh, data.length - 10, data.length + 10, pool)) {
          // read on
        }
      } catch (e) {
        err = e;
      }
      expect((err as Error | undefined)?.message).to.match(/ended early/);
    } finally {
      await fh.close();
    }
  });
});
