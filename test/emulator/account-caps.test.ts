// The per-account bandwidth caps (downloads and uploads, shared by all of an account's connections,
// beside the per-connection cap) and the per-download stats (bytes served per data request).

import { expect } from 'chai';
import { request } from 'undici';
import { rawClient, type Raw } from './helpers.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

describe('emulator: per-account caps and per-download stats', () => {
  let h: Stack;
  let raw: Raw;
  beforeEach(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true });
    raw = await rawClient(h.emu);
  });
  afterEach(() => h.stop());

  async function link(path: string): Promise<string> {
    return (await raw.filemetas([path], { dlink: 1, origin: 'dlna' })).json.info[0].dlink as string;
  }
  async function get(url: string, range?: string): Promise<Buffer> {
    const res = await request(url, { headers: range ? { range } : {} });
    return Buffer.from(await res.body.arrayBuffer());
  }

  it('records each data request with its range and the bytes it was sent', async () => {
    const data = bytes(200 * 1024, 3);
    await raw.upload('/s.bin', data, 256 * 1024);
    const url = await link('/s.bin');
    h.emu.resetStats();
    expect((await get(url, 'bytes=100-199')).equals(data.subarray(100, 200))).to.equal(true);
    expect((await get(url)).equals(data)).to.equal(true);
    const data_ = h.emu.stats().downloads;
    expect(data_.map((d) => [d.file, d.start, d.end, d.status, d.bytes])).to.deep.equal([
      ['s.bin', 100, 199, 206, 100],
      ['s.bin', 0, data.length - 1, 200, data.length],
    ]);
    h.emu.resetStats();
    expect(h.emu.stats().downloads).to.deep.equal([]);
  });

  it("caps an account's downloads in total, however many connections it opens", async () => {
    const data = bytes(128 * 1024, 4);
    await raw.upload('/d.bin', data, 256 * 1024);
    const url = await link('/d.bin');
    // Per connection 512 KiB/s: four parallel 128 KiB reads take about 0.25 s.
    // Per account 512 KiB/s: the same four share it and take about 1 s.
    h.emu.setKnobs({ accountDownloadBytesPerSec: 512 * 1024 });
    const t0 = performance.now();
    const got = await Promise.all([0, 1, 2, 3].map(() => get(url)));
    const ms = performance.now() - t0;
    for (const g of got) expect(g.equals(data)).to.equal(true);
    expect(ms).to.be.at.least(800);
  });

  it("caps an account's uploads too, and refuses a bad cap value", async () => {
    h.emu.setKnobs({ accountUploadBytesPerSec: 200 * 1024 });
    const part = bytes(160 * 1024, 5);
    const pre = await raw.precreate('/u.bin', part.length, [md5(part)]);
    const t0 = performance.now();
    const up = await raw.superfile2('/u.bin', pre.json.uploadid, 0, part);
    expect(performance.now() - t0).to.be.at.least(600);
    expect(up.json.md5).to.equal(md5(part));
    expect(() => h.emu.setKnobs({ accountUploadBytesPerSec: -1 })).to.throw(/accountUploadBytesPerSec/);
    expect(h.emu.knobs().accountDownloadBytesPerSec).to.equal(0);
  });
});
