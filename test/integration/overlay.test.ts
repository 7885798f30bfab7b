// 0-byte files and OS junk (`._*`, `.DS_Store`, `Thumbs.db`, `desktop.ini`) over the real drive: they
// behave like any file to the client but never reach TeraBox; and every write is visible at once in
// PROPFIND (rclone's read-after-write).

import { expect } from 'chai';
import { Readable } from 'node:stream';
import { header, parseMultistatus, propOf, textOf, type MultiStatusResponse } from '../dav/client.js';
import { startStack, type Stack, bytes } from '../support/index.js';

describe('integration: 0-byte and junk files, read-after-write', () => {
  let s: Stack;

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true });
    expect((await s.request('MKCOL', '/o/')).status).to.equal(201);
  });
  after(async () => {
    await s?.stop();
  });

  async function listing(dir: string): Promise<Map<string, MultiStatusResponse>> {
    const res = await s.request('PROPFIND', dir, { headers: { depth: '1' } });
    expect(res.status, `PROPFIND ${dir}`).to.equal(207);
    return new Map(parseMultistatus(res.text).map((r) => [r.href, r]));
  }

  function size(r: MultiStatusResponse | undefined): number | undefined {
    const p = r && propOf(r, '{DAV:}getcontentlength');
    return p ? Number(textOf(p.el)) : undefined;
  }

  it('keeps a 0-byte file locally: 201, GET and HEAD answer an empty 200, listed with size 0, nothing on TeraBox', async () => {
    s.emu.resetStats();
    expect((await s.request('PUT', '/o/empty.txt', { body: '' })).status).to.equal(201);
    expect(s.requests('precreate') + s.requests('create') + s.requests('rapidupload')).to.equal(0);
    const get = await s.request('GET', '/o/empty.txt');
    expect(get.status).to.equal(200);
    expect(get.body.length).to.equal(0);
    expect(header(get, 'content-length')).to.equal('0');
    expect(header(get, 'etag')).to.match(/^"/);
    expect((await s.request('HEAD', '/o/empty.txt')).status).to.equal(200);
    expect(size((await listing('/o/')).get('/o/empty.txt'))).to.equal(0);
    expect(s.emu.entry('/o/empty.txt')).to.equal(null);
    expect((await s.request('GET', '/o/empty.txt', { headers: { range: 'bytes=0-10' } })).status).to.equal(416);
    expect((await s.request('GET', '/o/empty.txt', { headers: { 'if-none-match': header(get, 'etag')! } })).status).to.equal(304);
  });

  it('accepts an empty chunked body as a 0-byte file', async () => {
    expect((await s.request('PUT', '/o/empty-chunked.txt', { body: Readable.from([]) })).status).to.equal(201);
    expect(size((await listing('/o/')).get('/o/empty-chunked.txt'))).to.equal(0);
    expect(s.emu.entry('/o/empty-chunked.txt')).to.equal(null);
  });

  it('replaces a TeraBox file with an empty one (removing it upstream) and back again', async () => {
    const body = bytes(70_000);
    expect((await s.request('PUT', '/o/flip.bin', { body })).status).to.equal(201);
    expect(s.emu.entry('/o/flip.bin')!.size).to.equal(body.length);
    expect((await s.request('PUT', '/o/flip.bin', { body: '' })).status).to.equal(204);
    expect(s.emu.entry('/o/flip.bin')).to.equal(null);
    expect((await s.request('GET', '/o/flip.bin')).body.length).to.equal(0);
    expect(size((await listing('/o/')).get('/o/flip.bin'))).to.equal(0);
    expect((await s.request('PUT', '/o/flip.bin', { body })).status).to.equal(204);
    expect((await s.emu.readFile('/o/flip.bin')).equals(body)).to.equal(true);
    expect((await s.request('GET', '/o/flip.bin')).body.equals(body)).to.equal(true);
    expect(size((await listing('/o/')).get('/o/flip.bin'))).to.equal(body.length);
  });

  it('keeps junk files with content locally, served with ranges and validators like any file', async () => {
    const names = ['._photo.jpg', '.DS_Store', 'Thumbs.db', 'desktop.ini', 'Desktop.INI'];
    s.emu.resetStats();
    for (const name of names) {
      const body = Buffer.from(`junk bytes of ${name}`);
      expect((await s.request('PUT', `/o/${name}`, { body })).status, name).to.equal(201);
      const get = await s.request('GET', `/o/${name}`);
      expect(get.body.equals(body), name).to.equal(true);
      const part = await s.request('GET', `/o/${name}`, { headers: { range: 'bytes=5-9' } });
      expect(part.status).to.equal(206);
      expect(part.body.equals(body.subarray(5, 10))).to.equal(true);
      expect(header(part, 'content-range')).to.equal(`bytes 5-9/${body.length}`);
      expect(s.emu.entry(`/o/${name}`), name).to.equal(null);
    }
    expect(s.requests('precreate') + s.requests('create') + s.requests('superfile2') + s.requests('rapidupload')).to.equal(0);
    const all = await listing('/o/');
    for (const name of names) expect(size(all.get(`/o/${name}`)), name).to.equal(`junk bytes of ${name}`.length);
    const first = header(await s.request('HEAD', '/o/._photo.jpg'), 'etag');
    expect((await s.request('PUT', '/o/._photo.jpg', { body: 'changed' })).status).to.equal(204);
    expect(header(await s.request('HEAD', '/o/._photo.jpg'), 'etag')).to.not.equal(first);
  });

  it('copies and moves junk and 0-byte files like files, still locally', async () => {
    expect((await s.request('PUT', '/o/._a', { body: 'apple' })).status).to.equal(201);
    expect((await s.request('COPY', '/o/._a', { headers: { destination: '/o/._b' } })).status).to.equal(201);
    expect((await s.request('MOVE', '/o/._a', { headers: { destination: '/o/._c' } })).status).to.equal(201);
    expect((await s.request('GET', '/o/._a')).status).to.equal(404);
    expect((await s.request('GET', '/o/._b')).text).to.equal('apple');
    expect((await s.request('GET', '/o/._c')).text).to.equal('apple');
    expect((await s.request('COPY', '/o/empty.txt', { headers: { destination: '/o/empty-copy.txt' } })).status).to.equal(201);
    expect((await s.request('MOVE', '/o/empty-copy.txt', { headers: { destination: '/empty-moved.txt' } })).status).to.equal(201);
    expect((await s.request('GET', '/empty-moved.txt')).status).to.equal(200);
    for (const p of ['/o/._b', '/o/._c', '/empty-moved.txt', '/o/empty-copy.txt']) expect(s.emu.entry(p), p).to.equal(null);
  });

  it('uploads a junk file to TeraBox when it is renamed to a normal name', async () => {
    const body = bytes(90_000);
    expect((await s.request('PUT', '/o/._draft', { body })).status).to.equal(201);
    expect((await s.request('MOVE', '/o/._draft', { headers: { destination: '/o/final.bin' } })).status).to.equal(201);
    expect((await s.emu.readFile('/o/final.bin')).equals(body)).to.equal(true);
    expect((await s.request('GET', '/o/._draft')).status).to.equal(404);
    expect((await s.request('GET', '/o/final.bin')).body.equals(body)).to.equal(true);
  });

  it('deletes 0-byte and junk files', async () => {
    for (const p of ['/o/empty-chunked.txt', '/o/Thumbs.db']) {
      expect((await s.request('DELETE', p)).status, p).to.equal(204);
      expect((await s.request('GET', p)).status, p).to.equal(404);
      expect((await listing('/o/')).has(p), p).to.equal(false);
    }
  });

  it("answers Finder's probes of files that do not exist with 404 from the cached listing, without asking TeraBox", async () => {
    await listing('/o/');
    s.emu.resetStats();
    for (const p of ['/o/.localized', '/o/._.', '/o/.ql_disablethumbnails', '/o/.metadata_never_index', '/o/._final.bin']) {
      expect((await s.request('PROPFIND', p, { headers: { depth: '0' } })).status, p).to.equal(404);
      expect((await s.request('GET', p)).status, p).to.equal(404);
    }
    const calls = Object.values(s.emu.stats().endpoints).reduce((n, e) => n + (e?.requests ?? 0), 0);
    expect(calls).to.equal(0);
  });

  it('shows every write at once in the next PROPFIND, also in folders never listed before', async () => {
    expect((await s.request('MKCOL', '/raw/')).status).to.equal(201);
    expect((await listing('/')).has('/raw/')).to.equal(true);
    expect((await s.request('MKCOL', '/raw/a/')).status).to.equal(201);
    expect((await listing('/raw/')).has('/raw/a/')).to.equal(true);
    for (let i = 0; i < 3; i++) {
      const body = bytes(1000 * (i + 1));
      const status = (await s.request('PUT', '/raw/a/f.bin', { body })).status;
      expect(status).to.equal(i === 0 ? 201 : 204);
      expect(size((await listing('/raw/a/')).get('/raw/a/f.bin'))).to.equal(body.length);
    }
    expect((await s.request('MOVE', '/raw/a/f.bin', { headers: { destination: '/raw/g.bin' } })).status).to.equal(201);
    expect((await listing('/raw/a/')).has('/raw/a/f.bin')).to.equal(false);
    expect(size((await listing('/raw/')).get('/raw/g.bin'))).to.equal(3000);
    expect((await s.request('COPY', '/raw/g.bin', { headers: { destination: '/raw/a/h.bin' } })).status).to.equal(201);
    expect(size((await listing('/raw/a/')).get('/raw/a/h.bin'))).to.equal(3000);
    expect((await s.request('DELETE', '/raw/a/')).status).to.equal(204);
    expect((await listing('/raw/')).has('/raw/a/')).to.equal(false);
    expect((await s.request('PROPFIND', '/raw/a/h.bin', { headers: { depth: '0' } })).status).to.equal(404);
  });
});
