// Reads through the block cache over the emulator (64 KiB chunks): byte-exact on every path, cached
// ranges cost no upstream request, missing chunks are the only ones fetched, read-ahead for
// sequential readers only, stale versions never served, eviction under the limit, faults survived.

import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as delay } from 'node:timers/promises';
import type { ByteRange } from '../../../src/drive/types.js';
import { isDriveError } from '../../../src/drive/types.js';
import type { TeraBoxApi } from '../../../src/terabox/api.js';
import { bytes, KiB, startStack, type Stack } from '../../support/index.js';
import { SPLIT_MIN } from '../../../src/drive/cache/read-cache.js';

const CHUNK = 64 * KiB;

describe('read cache over the emulator', function () {
  this.timeout(60_000);
  let rig: Stack;
  let n = 0;
  /** A new file on TeraBox (through the drive) and its content. */
  async function file(size: number, seed = ++n): Promise<{ path: string; data: Buffer }> {
    const data = bytes(size, seed);
    const path = `/f${seed}-${size}.bin`;
    await rig.drive.write(path, Readable.from([data]), { size });
    return { path, data };
  }
  async function read(path: string, range?: ByteRange): Promise<Buffer> {
    const { stream } = await rig.drive.read(path, range);
    return buffer(stream);
  }
  /** Waits until the cache's fetches and writes in flight are done (chunks land just after they are served). */
  const settled = () => rig.cache.idle();

  before(async () => {
    rig = await startStack({ smallParts: true, cache: {}, client: { retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } } });
    await rig.freshDrive();
  });
  afterEach(() => rig.emu.setKnobs({ faults: {}, bandwidthBytesPerSec: 0 }));
  after(() => rig?.stop());

  it('reads a file byte-exact cold, then warm with no upstream request at all', async () => {
    const f = await file(10 * CHUNK + 123);
    const cold = await rig.upstream(() => read(f.path));
    expect(cold.result.equals(f.data)).to.equal(true);
    expect(cold.bytes).to.equal(f.data.length);
    await settled();
    const warm = await rig.upstream(() => read(f.path));
    expect(warm.result.equals(f.data)).to.equal(true);
    expect(warm.requests).to.equal(0);
    const st = rig.cache.status();
    expect(st.entries).to.be.at.least(11);
    expect(st.hits).to.be.at.least(11);
  });

  it('serves ranges byte-exact: across chunk boundaries, the last partial chunk, one byte, a suffix', async () => {
    const f = await file(5 * CHUNK + 1000);
    const size = f.data.length;
    const ranges: ByteRange[] = [
      { start: CHUNK - 10, end: CHUNK + 9 },
      { start: 2 * CHUNK - 1, end: 4 * CHUNK },
      { start: 5 * CHUNK, end: size - 1 },
      { start: size - 1, end: size - 1 },
      { start: size - 300, end: size - 1 },
      { start: 0, end: 0 },
      { start: 3, end: 3 * CHUNK + 17 },
    ];
    for (const r of ranges) expect((await read(f.path, r)).equals(f.data.subarray(r.start, r.end + 1)), JSON.stringify(r)).to.equal(true);
    await settled();
    // Again, warm: the same bytes, nothing fetched.
    const warm = await rig.upstream(async () => {
      for (const r of ranges) expect((await read(f.path, r)).equals(f.data.subarray(r.start, r.end + 1))).to.equal(true);
    });
    expect(warm.requests).to.equal(0);
  });

  it('fetches at most one chunk for a 10-byte read of a large file', async () => {
    const f = await file(40 * CHUNK);
    const r = { start: 17 * CHUNK + 500, end: 17 * CHUNK + 509 };
    rig.emu.resetStats();
    const got = await rig.upstream(() => read(f.path, r));
    expect(got.result.equals(f.data.subarray(r.start, r.end + 1))).to.equal(true);
    await settled();
    expect(got.requests).to.equal(1);
    expect(got.bytes).to.be.at.most(CHUNK);
    // Exactly the chunk holding the 10 bytes, as TeraBox saw it.
    const asked = rig.emu.stats().downloads.map((d) => [d.start, d.end, d.bytes]);
    expect(asked).to.deep.equal([[17 * CHUNK, 18 * CHUNK - 1, CHUNK]]);
  });

  it('on a partial hit fetches only the chunks that are missing', async () => {
    const f = await file(8 * CHUNK + 5);
    await read(f.path, { start: 2 * CHUNK, end: 3 * CHUNK - 1 });
    await read(f.path, { start: 5 * CHUNK + 10, end: 5 * CHUNK + 20 });
    await settled();
    const whole = await rig.upstream(() => read(f.path));
    expect(whole.result.equals(f.data)).to.equal(true);
    expect(whole.bytes).to.equal(f.data.length - 2 * CHUNK);
    expect(whole.requests).to.equal(7);
  });

  it('reads ahead for a reader of consecutive ranges, not for random reads', async () => {
    const f = await file(12 * CHUNK);
    const random = await rig.upstream(async () => {
      await read(f.path, { start: 7 * CHUNK + 5, end: 7 * CHUNK + 100 });
      await settled();
    });
    expect(random.requests).to.equal(1);
    // Consecutive 32 KiB reads from the start: after the second, chunks ahead are fetched in parallel.
    await read(f.path, { start: 0, end: CHUNK / 2 - 1 });
    await read(f.path, { start: CHUNK / 2, end: CHUNK - 1 });
    await settled();
    // Not consecutive (it starts a byte later), so it fetches nothing ahead: all it needs is cached.
    const later = await rig.upstream(() => read(f.path, { start: CHUNK + 1, end: 4 * CHUNK - 1 }));
    expect(later.result.equals(f.data.subarray(CHUNK + 1, 4 * CHUNK))).to.equal(true);
    expect(later.requests).to.equal(0);
  });

  it('keeps `parallel` fetches in flight for a long read, never more', async () => {
    let inFlight = 0;
    let most = 0;
    const wrap = (api: TeraBoxApi): TeraBoxApi =>
      Object.assign(Object.create(api) as TeraBoxApi, {
        download: async (...args: Parameters<TeraBoxApi['download']>) => {
          inFlight++;
          most = Math.max(most, inFlight);
          try {
            const res = await api.download(...args);
            res.body.once('close', () => inFlight--);
            return res;
          } catch (e) {
            inFlight--;
            throw e;
          }
        },
      });
    try {
      await rig.restartDrive({ wrap });
      const f = await file(16 * CHUNK);
      // Slow enough per connection that the fetches overlap.
      rig.emu.setKnobs({ bandwidthBytesPerSec: 512 * KiB });
      expect((await read(f.path)).equals(f.data)).to.equal(true);
      expect(most).to.equal(4);
    } finally {
      await rig.restartDrive();
    }
  });

  it('never serves an old version after the file was overwritten outside the drive and listed again', async () => {
    const f = await file(3 * CHUNK + 7);
    expect((await read(f.path)).equals(f.data)).to.equal(true);
    await settled();
    // The same size, other bytes, uploaded with the raw client (the drive does not see it).
    const next = bytes(f.data.length, 999);
    const up = await rig.uploader.upload({ path: f.path, body: Readable.from([next]), size: next.length });
    expect(up.kind).to.equal('committed');
    await rig.restartDrive(); // fresh listings, same cache
    const after = await rig.upstream(() => read(f.path));
    expect(after.result.equals(next)).to.equal(true);
    expect(after.requests).to.be.greaterThan(0);
    expect((await read(f.path, { start: CHUNK, end: CHUNK + 99 })).equals(next.subarray(CHUNK, CHUNK + 100))).to.equal(true);
  });

  it('keeps the cache under its limit while a read runs through a file larger than it', async () => {
    await rig.restartDrive({ cache: { maxBytes: 4 * CHUNK } });
    const f = await file(20 * CHUNK + 3);
    const { stream } = await rig.drive.read(f.path);
    let peak = 0;
    const parts: Buffer[] = [];
    for await (const b of stream as AsyncIterable<Buffer>) {
      parts.push(b);
      peak = Math.max(peak, rig.cache.status().bytes);
    }
    await settled();
    expect(Buffer.concat(parts).equals(f.data)).to.equal(true);
    expect(peak).to.be.at.most(4 * CHUNK);
    expect(rig.cache.status().bytes).to.be.at.most(4 * CHUNK);
    expect(rig.chunkRows()).to.be.at.most(4);
    await rig.restartDrive();
  });

  it('fetches each chunk of a long read once even when the cache has no room for any', async () => {
    await rig.restartDrive({ cache: { maxBytes: 0 } });
    const f = await file(12 * CHUNK + 9);
    const got = await rig.upstream(() => read(f.path));
    expect(got.result.equals(f.data)).to.equal(true);
    expect(got.requests).to.equal(13);
    expect(got.bytes).to.equal(f.data.length);
    expect(rig.chunkRows()).to.equal(0);
    await rig.restartDrive();
  });

  it('gives byte-exact reads with 20% faults on the data endpoint', async () => {
    const f = await file(30 * CHUNK + 77);
    rig.emu.setKnobs({ faultSeed: 3, faults: { data: { http5xx: 0.1, reset: 0.1 } } });
    const whole = await rig.upstream(() => read(f.path));
    expect(whole.result.equals(f.data)).to.equal(true);
    expect(whole.requests).to.be.greaterThan(31);
    for (const r of [
      { start: 5, end: 5 * CHUNK },
      { start: 29 * CHUNK - 3, end: f.data.length - 1 },
    ]) {
      expect((await read(f.path, r)).equals(f.data.subarray(r.start, r.end + 1))).to.equal(true);
    }
  });

  it('cancels read-ahead when the client goes away', async () => {
    const f = await file(40 * CHUNK);
    rig.emu.setKnobs({ bandwidthBytesPerSec: 128 * KiB });
    const ac = new AbortController();
    const got = await rig.upstream(async () => {
      const { stream } = await rig.drive.read(f.path, undefined, ac.signal);
      const err = await new Promise<unknown>((resolve) => {
        stream.once('data', () => ac.abort());
        stream.once('error', resolve);
        stream.once('close', () => resolve(null));
      });
      await delay(600);
      return err;
    });
    expect(got.result === null || isDriveError(got.result, 'ABORTED'), String(got.result)).to.equal(true);
    // Only the first window was ever asked for, and it was cut short.
    expect(got.requests).to.be.at.most(4);
    expect(got.bytes).to.be.lessThan(4 * CHUNK);
  });

  it('adopts a local copy of a committed file as its chunks (for write-back), so reading it fetches nothing', async () => {
    const f = await file(3 * CHUNK + 50);
    const local = join(rig.tmp, 'local-copy.bin');
    await writeFile(local, f.data);
    const [remote] = await rig.api.stat([f.path]);
    expect(await rig.cache.adopt(remote!, local)).to.equal(4);
    const got = await rig.upstream(() => read(f.path));
    expect(got.result.equals(f.data)).to.equal(true);
    expect(got.requests).to.equal(0);
    // A local file of another size is not taken for the version.
    await writeFile(local, f.data.subarray(1));
    expect(await rig.cache.adopt({ ...remote!, fsId: remote!.fsId + 1 }, local)).to.equal(0);
  });

  it('counts hits, misses and bytes fetched for the status page', async () => {
    const before = rig.cache.status();
    const f = await file(2 * CHUNK);
    await read(f.path);
    await settled();
    await read(f.path);
    const st = rig.cache.status();
    expect(st.mode).to.equal('full');
    expect(st.misses - before.misses).to.equal(2);
    expect(st.hits - before.hits).to.equal(2);
    expect(st.bytesFetched - before.bytesFetched).to.equal(2 * CHUNK);
    expect(st.hitRatio).to.be.within(0, 1);
  });
});

describe('read cache: a seek into the middle of a chunk', function () {
  this.timeout(60_000);
  const BIG = 1024 * KiB; // chunks large enough for a read to start past SPLIT_MIN inside one
  let rig: Stack;
  before(async () => {
    rig = await startStack({
      smallParts: true,
      cache: { chunkSize: BIG },
      client: { retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } },
    });
    await rig.freshDrive();
  });
  after(() => rig?.stop());

  async function read(path: string, range?: ByteRange): Promise<Buffer> {
    const { stream } = await rig.drive.read(path, range);
    return buffer(stream);
  }

  it('asks for the bytes from its offset first and the bytes before it beside them, then keeps the whole chunk', async () => {
    const data = bytes(3 * BIG, 91);
    await rig.drive.write('/seek.bin', Readable.from([data]), { size: data.length });
    const at = BIG + SPLIT_MIN + 1000;
    rig.emu.resetStats();
    const got = await read('/seek.bin', { start: at, end: at + 9999 });
    expect(got.equals(data.subarray(at, at + 10_000))).to.equal(true);
    await rig.cache.idle();
    // Two requests for chunk 1, together exactly the chunk; the reader's part asked for first.
    const asked = rig.emu.stats().downloads.map((d) => [d.start, d.end, d.bytes]);
    expect(asked).to.deep.equal([
      [BIG + SPLIT_MIN + 1000, 2 * BIG - 1, BIG - SPLIT_MIN - 1000],
      [BIG, BIG + SPLIT_MIN + 999, SPLIT_MIN + 1000],
    ]);
    // The chunk was stored whole: all of it again costs nothing upstream.
    const again = await rig.upstream(() => read('/seek.bin', { start: BIG, end: 2 * BIG - 1 }));
    expect(again.result.equals(data.subarray(BIG, 2 * BIG))).to.equal(true);
    expect(again.requests).to.equal(0);
  });

  it('fetches a chunk from its first byte for a read that starts near it', async () => {
    const data = bytes(2 * BIG + 77, 92);
    await rig.drive.write('/near.bin', Readable.from([data]), { size: data.length });
    const at = BIG + SPLIT_MIN - 1;
    rig.emu.resetStats();
    const got = await read('/near.bin', { start: at, end: at + 99 });
    expect(got.equals(data.subarray(at, at + 100))).to.equal(true);
    await rig.cache.idle();
    expect(rig.emu.stats().downloads.map((d) => [d.start, d.end])).to.deep.equal([[BIG, 2 * BIG - 1]]);
  });

  it('gives byte-exact seeks with 20% faults on the data endpoint', async () => {
    const data = bytes(4 * BIG, 93);
    await rig.drive.write('/faulty.bin', Readable.from([data]), { size: data.length });
    rig.emu.setKnobs({ faultSeed: 5, faults: { data: { http5xx: 0.1, reset: 0.1 } } });
    try {
      for (const at of [3 * BIG + 700_000, BIG + 300_000, 2 * BIG + 999_999, 400_000]) {
        const got = await read('/faulty.bin', { start: at, end: at + 20_000 });
        expect(got.equals(data.subarray(at, at + 20_001)), `read at ${at}`).to.equal(true);
      }
    } finally {
      rig.emu.setKnobs({ faults: {} });
    }
    await rig.cache.idle();
    // Whatever was stored is right.
    const whole = await read('/faulty.bin');
    expect(whole.equals(data)).to.equal(true);
  });
});
