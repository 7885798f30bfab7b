// The read cache as users run it: settings (file, environment, flags), WebDAV GETs through the whole
// drive (0-length files, suffix ranges, multipart ranges, a restart keeps the cache), the status
// snapshot, and cache.mode off streaming as before.

import { expect } from 'chai';
import { loadConfig } from '../../../src/config.js';
import { bytes, KiB, startStack, type Stack } from '../../support/index.js';

describe('read cache settings', () => {
  it('defaults to a full cache of 10 GiB in 8 MiB chunks and 4 fetches in flight', () => {
    const c = loadConfig({ env: {} });
    expect(c.cache.mode).to.equal('full');
    expect(c.cache.maxBytes).to.equal(10 * 1024 ** 3);
    expect(c.cache.chunkSize).to.equal(8 * 1024 * 1024);
    expect(c.download.parallel).to.equal(4);
  });

  it('takes the environment and flags, and refuses bad values by name', () => {
    const c = loadConfig({
      env: { TERABOX_WEBDAV_CACHE_MODE: 'off', TERABOX_DOWNLOAD_PARALLEL: '8', TERABOX_WEBDAV_CACHE_MAX_BYTES: '1048576' },
    });
    expect(c.cache.mode).to.equal('off');
    expect(c.download.parallel).to.equal(8);
    expect(c.cache.maxBytes).to.equal(1048576);
    expect(loadConfig({ env: {}, flags: { 'cache.mode': 'full', 'download.parallel': '2' } }).download.parallel).to.equal(2);
    expect(() => loadConfig({ env: {}, flags: { 'download.parallel': 17 } })).to.throw(/download\.parallel/);
    expect(() => loadConfig({ env: {}, flags: { 'cache.mode': 'writes' } })).to.throw(/cache\.mode/);
    expect(() => loadConfig({ env: {}, flags: { 'cache.chunkSize': 10 } })).to.throw(/cache\.chunkSize/);
  });
});

describe('read cache through WebDAV', function () {
  this.timeout(60_000);
  const data = bytes(300 * KiB + 11, 42);

  for (const mode of ['full', 'off'] as const) {
    describe(`cache.mode ${mode}`, () => {
      let s: Stack;
      before(async () => {
        s = await startStack({
          upTo: 'webdav',
          smallParts: true,
          configure: (c) => {
            c.cache.mode = mode;
            c.cache.chunkSize = 64 * KiB;
          },
        });
        expect((await s.request('PUT', '/a.bin', { body: data })).status).to.equal(201);
        expect((await s.request('PUT', '/empty.bin', { body: Buffer.alloc(0) })).status).to.equal(201);
      });
      after(() => s?.stop());

      it('serves whole files, suffix, open-ended and multipart ranges byte-exact, and 0-byte files', async () => {
        const whole = await s.request('GET', '/a.bin');
        expect(whole.body.equals(data)).to.equal(true);
        const suffix = await s.request('GET', '/a.bin', { headers: { range: 'bytes=-1000' } });
        expect(suffix.status).to.equal(206);
        expect(suffix.body.equals(data.subarray(data.length - 1000))).to.equal(true);
        const open = await s.request('GET', '/a.bin', { headers: { range: `bytes=${64 * KiB - 1}-` } });
        expect(open.body.equals(data.subarray(64 * KiB - 1))).to.equal(true);
        const multi = await s.request('GET', '/a.bin', { headers: { range: `bytes=0-9,${200 * KiB}-${200 * KiB + 9}` } });
        expect(multi.status).to.equal(206);
        expect(multi.body.includes(data.subarray(200 * KiB, 200 * KiB + 10))).to.equal(true);
        const empty = await s.request('GET', '/empty.bin');
        expect(empty.status).to.equal(200);
        expect(empty.body.length).to.equal(0);
      });

      it(mode === 'full' ? 'reads again with no upstream request, also after a restart' : 'fetches again on every read', async () => {
        await s.request('GET', '/a.bin');
        await new Promise((r) => setTimeout(r, 200));
        s.emu.resetStats();
        expect((await s.request('GET', '/a.bin')).body.equals(data)).to.equal(true);
        if (mode === 'off') {
          expect(s.requests('data')).to.be.greaterThan(0);
          return;
        }
        expect(s.requests('data')).to.equal(0);
        await s.restart();
        s.emu.resetStats();
        expect(
          (await s.request('GET', '/a.bin', { headers: { range: 'bytes=100-70000' } })).body.equals(data.subarray(100, 70001)),
        ).to.equal(true);
        expect(s.requests('data')).to.equal(0);
      });

      it('reports the cache in the status snapshot', async () => {
        const res = await s.request('GET', '/.well-known/terabox-webdav/status.json');
        const st = JSON.parse(res.text) as {
          settings: { cacheMode: string; downloadParallel: number };
          cache: Record<string, number | string> | null;
        };
        expect(st.settings.cacheMode).to.equal(mode);
        expect(st.settings.downloadParallel).to.equal(4);
        if (mode === 'off') return expect(st.cache).to.equal(null);
        expect(st.cache!.mode).to.equal('full');
        expect(st.cache!.entries).to.be.at.least(5);
        expect(st.cache!.bytes).to.be.at.least(data.length);
        expect(st.cache!.bytesFetched).to.be.a('number');
        expect(st.cache!.hitRatio).to.be.within(0, 1);
      });
    });
  }
});
