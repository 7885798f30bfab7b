// GET hands each piece of a drive stream back to the drive (ReadResult.recycle) only once the socket
// has taken its bytes. The drive here overwrites a piece the moment it comes back and reuses it for
// the next piece, so a piece recycled too early would reach the client as wrong bytes.

import { expect } from 'chai';
import { get, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ByteRange, ReadResult } from '../../src/drive/types.js';
import { startDav, type RunningDav } from './harness.js';
import { MemoryDrive } from './memory-drive.js';

const PIECE = 64 * 1024;

class RecyclingDrive extends MemoryDrive {
  recycled = 0;
  private readonly idle: Buffer[] = [];
  private readonly lent = new Set<Buffer>();

  override async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<ReadResult> {
    const { entry, stream } = await super.read(path, range, signal);
    const self = this;
    async function* pooled(): AsyncGenerator<Buffer> {
      for await (const piece of stream as AsyncIterable<Buffer>) {
        const buf = self.idle.pop() ?? Buffer.alloc(PIECE);
        piece.copy(buf);
        self.lent.add(buf);
        yield buf.subarray(0, piece.length);
      }
    }
    const recycle = (piece: Buffer) => {
      const buf = [...this.lent].find((b) => b.buffer === piece.buffer);
      if (!buf) throw new Error('recycled a piece this drive did not hand out');
      this.lent.delete(buf);
      buf.fill(0xee);
      this.recycled++;
      this.idle.push(buf);
    };
    return { entry, stream: Readable.from(pooled()), recycle };
  }
}

/** A GET whose reader pauses a while (so the server's writes queue up), then reads everything. */
function slowGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      res.pause();
      setTimeout(() => res.resume(), 150);
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('dav over HTTP: GET gives pieces back to the drive only once sent', () => {
  let s: RunningDav;
  let drive: RecyclingDrive;
  const size = 24 * 1024 * 1024 + 5;
  const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 13 + (i >> 16)) & 255));

  before(async () => {
    drive = new RecyclingDrive();
    s = await startDav({ drive });
    drive.putFile('/big.bin', data);
  });
  after(async () => {
    await s.close();
  });

  it('delivers every byte of a whole-file GET while its pieces are reused', async () => {
    const res = await slowGet(`${s.url}big.bin`);
    expect(res.status).to.equal(200);
    expect(res.body.length).to.equal(size);
    expect(res.body.equals(data)).to.equal(true);
    expect(drive.recycled).to.be.greaterThan(size / PIECE / 2);
  });

  it('delivers every byte of a multipart answer while its pieces are reused', async () => {
    const before = drive.recycled;
    const res = await slowGet(`${s.url}big.bin`, { range: `bytes=0-${8 * 1024 * 1024},${16 * 1024 * 1024}-` });
    expect(res.status).to.equal(206);
    const text = res.body.toString('latin1');
    expect(text.includes(data.subarray(0, 8 * 1024 * 1024 + 1).toString('latin1'))).to.equal(true);
    expect(text.includes(data.subarray(16 * 1024 * 1024).toString('latin1'))).to.equal(true);
    expect(drive.recycled).to.be.greaterThan(before);
  });
});
