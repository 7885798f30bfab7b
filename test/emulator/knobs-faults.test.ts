// Knobs for tests and benchmarks: injected faults (errno 31034, 5xx, connection resets), their
// reproducibility, latency, the bandwidth cap, and the stats / admin endpoints.

import { expect } from 'chai';
import { request } from 'undici';
import { PART, rawClient, type Raw } from './helpers.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

describe('emulator: knobs, faults and stats', () => {
  let h: Stack;
  let raw: Raw;
  beforeEach(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true });
    raw = await rawClient(h.emu);
  });
  afterEach(async () => {
    await h.stop();
  });

  describe('faults', () => {
    it('errno31034 answers errno 31034 on /api and error_code 31034 on PCS paths', async () => {
      h.emu.setKnobs({ faults: { list: { errno31034: 1 }, superfile2: { errno31034: 1 } } });
      expect((await raw.list('/')).json.errno).to.equal(31034);
      const pre = await raw.precreate('/f.bin', 3, [md5('abc')]);
      const up = await raw.superfile2('/f.bin', pre.json.uploadid, 0, Buffer.from('abc'));
      expect(up.json.error_code).to.equal(31034);
      expect(h.emu.stats().store.blocks).to.equal(0);
      expect(h.emu.stats().endpoints.list).to.include({ requests: 1, errors: 1 });
    });

    it('http5xx answers 500/502/503 before touching state', async () => {
      await raw.upload('/one.txt', bytes(10, 1));
      h.emu.resetStats();
      h.emu.setKnobs({ faults: { create: { http5xx: 1 } } });
      const r = await raw.mkdir('/never');
      expect([500, 502, 503]).to.include(r.status);
      expect(r.text).to.match(/<html>/);
      expect(h.emu.entry('/never')).to.equal(null);
      expect(h.emu.stats().endpoints.create).to.include({ requests: 1, errors: 1 });
    });

    it('reset drops the connection without answering and changes nothing', async () => {
      h.emu.setKnobs({ faults: { create: { reset: 1 } } });
      let failed = false;
      try {
        await raw.mkdir('/reset-dir');
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
      expect(h.emu.entry('/reset-dir')).to.equal(null);
    });

    it('reset on superfile2 cuts the upload mid-body and stores nothing', async () => {
      const part = bytes(4 * PART, 3);
      const pre = await raw.precreate('/big.bin', part.length, [md5(part)]);
      h.emu.setKnobs({ faults: { superfile2: { reset: 1 } } });
      let failed = false;
      try {
        await raw.superfile2('/big.bin', pre.json.uploadid, 0, part);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
      expect(h.emu.stats().endpoints.superfile2!.bytesIn).to.be.greaterThan(0).and.lessThan(part.length);
      h.emu.setKnobs({ faults: {} });
      // Give the server a moment to discard the partial write, then the block is still needed.
      await new Promise((r) => setTimeout(r, 100));
      expect(h.emu.stats().store.blocks).to.equal(0);
      expect((await raw.precreate('/big.bin', part.length, [md5(part)])).json.block_list).to.deep.equal([0]);
      expect((await raw.superfile2('/big.bin', pre.json.uploadid, 0, part)).json.md5).to.equal(md5(part));
    });

    it('reset on superfile2 with a part small enough to arrive at once stores nothing and keeps serving', async () => {
      const part = bytes(1000, 6);
      const pre = await raw.precreate('/small.bin', part.length, [md5(part)]);
      h.emu.setKnobs({ faults: { superfile2: { reset: 1 } } });
      for (let i = 0; i < 5; i++) {
        let failed = false;
        try {
          await raw.superfile2('/small.bin', pre.json.uploadid, 0, part);
        } catch {
          failed = true;
        }
        expect(failed).to.equal(true);
      }
      h.emu.setKnobs({ faults: {} });
      await new Promise((r) => setTimeout(r, 100));
      expect(h.emu.stats().store.blocks).to.equal(0);
      expect((await raw.superfile2('/small.bin', pre.json.uploadid, 0, part)).json.md5).to.equal(md5(part));
    });

    it('reset on data sends part of the body, then drops the connection', async () => {
      const data = bytes(8 * PART, 4);
      await raw.upload('/dl.bin', data);
      const link = (await raw.filemetas(['/dl.bin'], { dlink: 1, origin: 'dlna' })).json.info[0].dlink;
      h.emu.setKnobs({ faults: { data: { reset: 1 } } });
      const res = await request(link);
      expect(res.statusCode).to.equal(200);
      let received = 0;
      let failed = false;
      try {
        for await (const chunk of res.body) received += (chunk as Buffer).length;
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
      expect(received).to.be.lessThan(data.length);
    });

    it('draws the same faults again for the same seed', async () => {
      const pattern = async () => {
        const out: number[] = [];
        for (let i = 0; i < 24; i++) out.push((await raw.get('/api/quota')).json.errno);
        return out;
      };
      h.emu.setKnobs({ faults: { quota: { errno31034: 0.5 } }, faultSeed: 42 });
      const a = await pattern();
      h.emu.setKnobs({ faultSeed: 42 });
      const b = await pattern();
      expect(a).to.deep.equal(b);
      expect(a).to.include(0).and.to.include(31034);
    });
  });

  describe('latency and bandwidth', () => {
    it('adds the configured latency to an endpoint (a lower bound only)', async () => {
      h.emu.setKnobs({ latencyMs: { list: 300 } });
      const t0 = performance.now();
      await raw.list('/');
      expect(performance.now() - t0).to.be.at.least(250);
      h.emu.setKnobs({ latencyMs: 300 });
      const t1 = performance.now();
      await raw.get('/api/quota');
      expect(performance.now() - t1).to.be.at.least(250);
    });

    it('caps the bandwidth of response and request bodies per connection', async () => {
      const data = bytes(160 * 1024, 8);
      await raw.upload('/bw.bin', data, 256 * 1024);
      const link = (await raw.filemetas(['/bw.bin'], { dlink: 1, origin: 'dlna' })).json.info[0].dlink;
      h.emu.setKnobs({ bandwidthBytesPerSec: 400 * 1024 });
      const t0 = performance.now();
      const res = await request(link);
      const body = Buffer.from(await res.body.arrayBuffer());
      expect(performance.now() - t0).to.be.at.least(300);
      expect(body).to.deep.equal(data);

      const pre = await raw.precreate('/bw2.bin', 10, [md5('zz')]);
      const t1 = performance.now();
      const up = await raw.superfile2('/bw2.bin', pre.json.uploadid, 0, bytes(160 * 1024, 9));
      expect(performance.now() - t1).to.be.at.least(300);
      expect(up.json.md5).to.equal(md5(bytes(160 * 1024, 9)));
    });
  });

  describe('stats and the admin endpoint', () => {
    it('counts requests, errors and bytes per endpoint, and resets', async () => {
      h.emu.resetStats();
      await raw.list('/');
      await raw.list('/missing');
      const pre = await raw.precreate('/s.bin', 5, [md5('hello')]);
      await raw.superfile2('/s.bin', pre.json.uploadid, 0, Buffer.from('hello'));
      const s = h.emu.stats();
      expect(s.endpoints.list).to.include({ requests: 2, errors: 1, bytesIn: 0 });
      expect(s.endpoints.list!.bytesOut).to.be.greaterThan(0);
      expect(s.endpoints.superfile2!.bytesIn).to.be.greaterThan(5);
      expect(s.endpoints.precreate!.bytesIn).to.be.greaterThan(0);
      expect(s.store).to.deep.equal({ blocks: 1, bytes: 5 });
      h.emu.resetStats();
      expect(h.emu.stats().endpoints.list).to.include({ requests: 0, errors: 0, bytesIn: 0, bytesOut: 0 });
      expect(h.emu.stats().store.blocks).to.equal(1);
    });

    it('serves stats, reset, knobs, expire-tokens and accounts over HTTP without counting them', async () => {
      const admin = (path: string, method = 'GET', body?: unknown) =>
        request(`${h.emu.url}/__emulator/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) }).then(
          async (r) => ({
            status: r.statusCode,
            json: (await r.body.json()) as Record<string, any>,
          }),
        );
      await raw.list('/');
      const stats = await admin('stats');
      expect(stats.json.endpoints.list.requests).to.equal(1);
      expect(stats.json.store).to.deep.equal({ blocks: 0, bytes: 0 });
      expect((await admin('stats/reset', 'POST')).status).to.equal(200);
      expect((await admin('stats')).json.endpoints.list.requests).to.equal(0);

      const knobs = await admin('knobs', 'POST', { latencyMs: { list: 5 }, listMaxNum: 7 });
      expect(knobs.json).to.include({ listMaxNum: 7 });
      expect(h.emu.knobs().latencyMs).to.deep.equal({ list: 5 });
      expect((await admin('knobs')).json.listMaxNum).to.equal(7);
      const bad = await admin('knobs', 'POST', { listMaxNum: -1 });
      expect(bad.status).to.equal(400);
      expect(bad.json.error).to.match(/listMaxNum/);
      expect((await admin('knobs', 'POST', { nope: 1 })).status).to.equal(400);
      expect(h.emu.knobs().listMaxNum).to.equal(7);

      expect((await admin('expire-tokens', 'POST')).status).to.equal(200);
      expect((await raw.precreate('/t.bin', 1, [md5('t')])).json.errno).to.equal(4000023);

      const added = await admin('accounts', 'POST', { quotaBytes: 1234 });
      const quota = await new (raw.constructor as typeof Raw)(h.emu.url, added.json.cookie).get('/api/quota');
      expect(quota.json.total).to.equal(1234);
      expect((await admin('accounts', 'POST', { quotaBytes: 'lots' })).status).to.equal(400);

      const after = h.emu.stats().endpoints;
      expect(Object.keys(after)).to.not.include('admin');
      expect(after.list!.requests).to.equal(0);
    });

    it('refuses emptyFileErrno 0, which would answer an empty file it does not store as a success', () => {
      expect(() => h.emu.setKnobs({ emptyFileErrno: 0 })).to.throw(/emptyFileErrno/);
      expect(h.emu.knobs().emptyFileErrno).to.equal(2);
    });

    it('refuses bad knobs from code with a message naming the knob', () => {
      expect(() => h.emu.setKnobs({ faults: { list: { reset: 2 } } })).to.throw(/faults.list.reset/);
      expect(() => h.emu.setKnobs({ latencyMs: { nope: 1 } as never })).to.throw(/latencyMs/);
      expect(() => h.emu.setKnobs({ emptyFileErrno: 'x' as never })).to.throw(/emptyFileErrno/);
    });
  });

  it('survives malformed input with errno 2 and keeps serving', async () => {
    const oversized = 'x'.repeat(9 * 1024 * 1024);
    const big = await raw.post('/api/create', {}, { path: '/big', size: 1, block_list: oversized });
    expect(big.json.errno).to.equal(2);
    expect((await raw.post('/api/create', { isdir: 0 }, { path: '/c.bin', size: 'abc', block_list: '[]' })).json.errno).to.equal(2);
    expect((await raw.post('/api/create', { isdir: 0 }, { path: '/c.bin', size: 1, block_list: 'not json' })).json.errno).to.equal(2);
    expect((await raw.precreate('/c.bin', 1, 'x' as never)).json.errno).to.equal(2);
    const mp = await request(`${h.emu.url}/api/create`, {
      method: 'POST',
      headers: { cookie: raw.cookie, 'content-type': 'multipart/form-data; boundary=zz' },
      body: '--zz\r\nbroken',
    });
    expect(((await mp.body.json()) as { errno: number }).errno).to.equal(2);
    expect((await raw.list('/')).json.errno).to.equal(0);
  });

  it('refuses a multipart body whose fields add up past the form limit with errno 2, as a form body', async () => {
    // Each field is under the per-field limit; together they are over what a form body may hold.
    const field = 'x'.repeat(3 * 1024 * 1024);
    const r = await raw.multipart('/api/create', { isdir: 1 }, { path: '/fat', a: field, b: field, c: field });
    expect(r.json.errno).to.equal(2);
    expect(h.emu.entry('/fat')).to.equal(null);
  });
});
