import { expect } from 'chai';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BufferPool } from '../../src/util/buffer-pool.js';
import { fileRangeStream, filePieces, readFully, readPieces } from '../../src/util/file-pieces.js';
import { bytes, tempDir, waitFor } from '../support/index.js';

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

  it('readFully fills a buffer from a position, and says how much it got at the end of the file', async () => {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(300_000);
      expect(await readFully(fh, buf, 1_000_000)).to.equal(300_000);
      expect(buf.equals(data.subarray(1_000_000, 1_300_000))).to.equal(true);
      expect(await readFully(fh, buf, data.length - 10)).to.equal(10);
      expect(buf.subarray(0, 10).equals(data.subarray(data.length - 10))).to.equal(true);
    } finally {
      await fh.close();
    }
  });
});
