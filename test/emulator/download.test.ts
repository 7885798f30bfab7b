// The official download flow: home/info → sign → /api/download → dlink 302 → data URL with Range,
// HEAD, content-md5 and x-bs-meta-crc32; link expiry and forgery.

import { expect } from 'chai';
import { request } from 'undici';
import { crc32 } from 'node:zlib';
import { downloadSign } from '../../src/terabox/sign.js';
import { PART, rawClient, type Raw } from './helpers.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

describe('emulator: downloads', () => {
  let h: Stack;
  let raw: Raw;
  const data = bytes(3 * PART + 4321, 77);
  let fsId: number;

  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true });
    raw = await rawClient(h.emu);
    const created = await raw.upload('/video/movie.mp4', data);
    fsId = created.json.fs_id;
  });
  after(async () => {
    await h.stop();
  });

  async function sign(): Promise<{ sign: string; timestamp: number }> {
    const info = await raw.get('/api/home/info');
    expect(info.json.errno).to.equal(0);
    return { sign: downloadSign(info.json.data.sign3, info.json.data.sign1), timestamp: Math.floor(Date.now() / 1000) };
  }

  async function dlink(): Promise<string> {
    const s = await sign();
    const r = await raw.get('/api/download', { type: 'dlink', vip: 2, fidlist: JSON.stringify([fsId]), need_speed: 1, ...s });
    expect(r.json.errno).to.equal(0);
    return r.json.dlink[0].dlink;
  }

  async function dataUrl(): Promise<string> {
    const res = await request(await dlink(), { headers: { cookie: raw.cookie } });
    await res.body.dump();
    expect(res.statusCode).to.equal(302);
    return res.headers.location as string;
  }

  it('answers dlinks for a correct sign, with file_info', async () => {
    const s = await sign();
    const r = await raw.get('/api/download', { type: 'dlink', fidlist: JSON.stringify([String(fsId)]), ...s });
    expect(r.json.errno).to.equal(0);
    expect(r.json.dlink[0].fs_id).to.equal(String(fsId));
    expect(r.json.file_info).to.deep.equal({ size: data.length, filename: 'movie.mp4' });
  });

  it('accepts a POSTed form (terabox-api) and home/info timestamp', async () => {
    const info = await raw.get('/api/home/info');
    const r = await raw.post(
      '/api/download',
      {},
      {
        type: 'dlink',
        fidlist: JSON.stringify([fsId]),
        sign: downloadSign(info.json.data.sign3, info.json.data.sign1),
        timestamp: info.json.data.timestamp,
        vip: 2,
      },
    );
    expect(r.json.errno).to.equal(0);
  });

  it('refuses a wrong sign with errno 31362, an unknown fs_id with -9, a bad fidlist with 2', async () => {
    const s = await sign();
    expect(
      (await raw.get('/api/download', { type: 'dlink', fidlist: JSON.stringify([fsId]), sign: 'AAAA', timestamp: s.timestamp })).json.errno,
    ).to.equal(31362);
    expect((await raw.get('/api/download', { type: 'dlink', fidlist: '[123456789012345]', ...s })).json.errno).to.equal(-9);
    expect((await raw.get('/api/download', { type: 'dlink', fidlist: '[oops', ...s })).json.errno).to.equal(2);
  });

  it('the dlink redirects to a data URL that serves the whole file with its hashes', async () => {
    const res = await request(await dataUrl());
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).to.equal(200);
    expect(body).to.deep.equal(data);
    expect(res.headers['content-length']).to.equal(String(data.length));
    expect(res.headers['accept-ranges']).to.equal('bytes');
    expect(res.headers['content-md5']).to.equal(md5(data));
    expect(res.headers['x-bs-meta-crc32']).to.equal(String(crc32(data) >>> 0));
  });

  it('serves a single Range with 206 and Content-Range, across block boundaries', async () => {
    const url = await dataUrl();
    for (const [header, start, end] of [
      ['bytes=0-262143', 0, Math.min(262143, data.length - 1)],
      [`bytes=${PART - 10}-${PART + 9}`, PART - 10, PART + 9],
      [`bytes=${data.length - 5}-`, data.length - 5, data.length - 1],
      ['bytes=-100', data.length - 100, data.length - 1],
      [`bytes=10-${data.length + 1000}`, 10, data.length - 1],
    ] as const) {
      const res = await request(url, { headers: { range: header } });
      const body = Buffer.from(await res.body.arrayBuffer());
      expect(res.statusCode, header).to.equal(206);
      expect(res.headers['content-range'], header).to.equal(`bytes ${start}-${end}/${data.length}`);
      expect(body, header).to.deep.equal(data.subarray(start, end + 1));
      expect(res.headers['content-md5']).to.equal(md5(data));
    }
  });

  it('answers 416 with bytes */total to a range past the end', async () => {
    const res = await request(await dataUrl(), { headers: { range: `bytes=${data.length}-` } });
    await res.body.dump();
    expect(res.statusCode).to.equal(416);
    expect(res.headers['content-range']).to.equal(`bytes */${data.length}`);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await request(await dataUrl(), { method: 'HEAD' });
    const body = await res.body.text();
    expect(res.statusCode).to.equal(200);
    expect(body).to.equal('');
    expect(res.headers['content-length']).to.equal(String(data.length));
    expect(res.headers['content-md5']).to.equal(md5(data));
  });

  it('refuses an edited link with 403 31362', async () => {
    const url = new URL(await dataUrl());
    url.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    const res = await request(url.toString());
    expect(res.statusCode).to.equal(403);
    expect(((await res.body.json()) as { error_code: number }).error_code).to.equal(31362);
  });

  it('links expire after dlinkTtlMs (403 31360 on the dlink and the data URL)', async () => {
    h.emu.setKnobs({ dlinkTtlMs: 200 });
    try {
      const link = await dlink();
      const data2 = await dataUrl();
      // Expiry has whole-second resolution (unix seconds, like TeraBox's links).
      await new Promise((r) => setTimeout(r, 1300));
      for (const url of [link, data2]) {
        const res = await request(url);
        expect(res.statusCode).to.equal(403);
        expect(((await res.body.json()) as { error_code: number }).error_code).to.equal(31360);
      }
    } finally {
      h.emu.setKnobs({ dlinkTtlMs: 8 * 3600_000 });
    }
  });

  it('a one-part file sends its md5 and crc32 too', async () => {
    const small = bytes(1000, 5);
    await raw.upload('/small.bin', small);
    const metas = await raw.filemetas(['/small.bin'], { dlink: 1, origin: 'dlna' });
    const res = await request(metas.json.info[0].dlink);
    expect(Buffer.from(await res.body.arrayBuffer())).to.deep.equal(small);
    expect(res.headers['content-md5']).to.equal(md5(small));
    expect(res.headers['x-bs-meta-crc32']).to.equal(String(crc32(small) >>> 0));
  });
});
