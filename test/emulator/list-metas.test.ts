// /api/list paging and ordering, /api/filemetas per-item errors and links.

import { expect } from 'chai';
import { request } from 'undici';
import { rawClient, type Raw } from './helpers.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

type Item = { server_filename: string; isdir: number; size: number; fs_id: number; md5?: string; path: string; category: number };
const names = (r: { json: { list: Item[] } }) => r.json.list.map((i) => i.server_filename);

describe('emulator: list and filemetas', () => {
  let h: Stack;
  let raw: Raw;
  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true, knobs: { listMaxNum: 4 } });
    raw = await rawClient(h.emu);
    // Sizes and times differ from name order on purpose.
    await raw.upload('/l/b.txt', bytes(300, 1));
    await raw.upload('/l/a.mp4', bytes(100, 2));
    await raw.upload('/l/c.jpg', bytes(200, 3));
    await raw.mkdir('/l/zdir');
    await raw.mkdir('/l/adir');
  });
  after(async () => {
    await h.stop();
  });

  it('lists directories first, then files by name', async () => {
    const r = await raw.list('/l', { num: 100 });
    expect(r.json.errno).to.equal(0);
    expect(names(r)).to.deep.equal(['adir', 'zdir', 'a.mp4', 'b.txt']);
  });

  it('pages with page (from 1) and num, capped by listMaxNum', async () => {
    const p1 = await raw.list('/l', { page: 1, num: 2 });
    const p2 = await raw.list('/l', { page: 2, num: 2 });
    const p3 = await raw.list('/l', { page: 3, num: 2 });
    const p4 = await raw.list('/l', { page: 4, num: 2 });
    expect([...names(p1), ...names(p2), ...names(p3)]).to.deep.equal(['adir', 'zdir', 'a.mp4', 'b.txt', 'c.jpg']);
    expect(names(p4)).to.deep.equal([]);
    const capped = await raw.list('/l', { page: 1, num: 1000 });
    expect(names(capped)).to.have.length(4);
    const second = await raw.list('/l', { page: 2, num: 1000 });
    expect(names(second)).to.deep.equal(['c.jpg']);
  });

  it('orders by size and time, descending with desc=1, directories still first', async () => {
    expect(names(await raw.list('/l', { order: 'size', num: 4, page: 1 })).slice(2)).to.deep.equal(['a.mp4', 'c.jpg']);
    const bySizeDesc = [
      ...names(await raw.list('/l', { order: 'size', desc: 1, page: 1 })),
      ...names(await raw.list('/l', { order: 'size', desc: 1, page: 2 })),
    ];
    expect(bySizeDesc).to.deep.equal(['zdir', 'adir', 'b.txt', 'c.jpg', 'a.mp4']);
    const byName = [
      ...names(await raw.list('/l', { order: 'name', desc: 1, page: 1 })),
      ...names(await raw.list('/l', { order: 'name', desc: 1, page: 2 })),
    ];
    expect(byName).to.deep.equal(['zdir', 'adir', 'c.jpg', 'b.txt', 'a.mp4']);
    const byTime = await raw.list('/l', { order: 'time', page: 1 });
    expect(names(byTime).slice(0, 2)).to.have.members(['adir', 'zdir']);
  });

  it('answers POST with a form body like GET', async () => {
    const r = await raw.post('/api/list', {}, { dir: '/l', order: 'name', desc: 0, num: 2, page: 1, showempty: 0 });
    expect(names(r)).to.deep.equal(['adir', 'zdir']);
  });

  it('serves the xpan alias with start/limit', async () => {
    const r = await raw.get('/rest/2.0/xpan/file', {
      method: 'list',
      dir: '/l',
      start: 1,
      limit: 2,
      jsToken: raw.jsToken,
      bdstoken: raw.bdstoken,
    });
    expect(names(r)).to.deep.equal(['zdir', 'a.mp4']);
  });

  it('gives items the wire fields with plain md5 and a category', async () => {
    const r = await raw.list('/l', { page: 2 });
    const item = r.json.list[0] as Item & Record<string, unknown>;
    expect(item).to.include({ path: '/l/c.jpg', server_filename: 'c.jpg', size: 200, isdir: 0, category: 3, md5: md5(bytes(200, 3)) });
    expect(item.fs_id).to.be.within(1e14, 1e15 - 1);
    expect(item.server_mtime).to.be.a('number');
    const dir = (await raw.list('/l')).json.list[0] as Item;
    expect(dir).to.include({ isdir: 1, size: 0, category: 6 });
    expect(dir.md5).to.equal(undefined);
  });

  it('answers -9 for a missing directory and for a file given as dir, -7 for a bad one', async () => {
    expect((await raw.list('/nope')).json.errno).to.equal(-9);
    expect((await raw.list('/l/b.txt')).json.errno).to.equal(-9);
    expect((await raw.list('no-slash')).json.errno).to.equal(-7);
  });

  it('answers errno 2 to a page or start past the integers it can count', async () => {
    expect((await raw.list('/l', { page: '99999999999999999999' })).json.errno).to.equal(2);
    const xpan = { method: 'list', dir: '/l', start: '99999999999999999999', limit: 2, jsToken: raw.jsToken, bdstoken: raw.bdstoken };
    expect((await raw.get('/rest/2.0/xpan/file', xpan)).json.errno).to.equal(2);
  });

  it('lists the root', async () => {
    expect(names(await raw.list('/'))).to.deep.equal(['l']);
  });

  describe('filemetas', () => {
    it('answers each path in order with plain md5', async () => {
      const r = await raw.filemetas(['/l/b.txt', '/l/adir']);
      expect(r.json.errno).to.equal(0);
      expect(r.json.info[0]).to.include({ path: '/l/b.txt', size: 300, md5: md5(bytes(300, 1)) });
      expect(r.json.info[1]).to.include({ path: '/l/adir', isdir: 1 });
    });

    it('answers errno 12 with a per-item -9 for missing paths', async () => {
      const r = await raw.filemetas(['/l/b.txt', '/missing', '/l/missing.txt']);
      expect(r.json.errno).to.equal(12);
      expect(r.json.info[0].errno).to.equal(undefined);
      expect(r.json.info[1]).to.include({ errno: -9, path: '/missing' });
      expect(r.json.info[2].errno).to.equal(-9);
    });

    it('adds a redirecting dlink with dlink=1 and a direct data URL with origin=dlna', async () => {
      const viaDlink = await raw.filemetas(['/l/b.txt'], { dlink: 1 });
      expect(viaDlink.json.info[0].dlink).to.match(/\/d\/file\//);
      const direct = await raw.post('/api/filemetas', {}, { target: JSON.stringify(['/l/b.txt']), dlink: 1, origin: 'dlna' });
      const url = direct.json.info[0].dlink as string;
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/file\//);
      const res = await request(url);
      expect(res.statusCode).to.equal(200);
      expect(Buffer.from(await res.body.arrayBuffer())).to.deep.equal(bytes(300, 1));
    });

    it('answers errno 2 for a malformed target', async () => {
      expect((await raw.get('/api/filemetas', { target: '["/l/b.txt"' })).json.errno).to.equal(2);
      expect((await raw.get('/api/filemetas', {})).json.errno).to.equal(2);
      expect((await raw.get('/api/filemetas', { target: '{"a":1}' })).json.errno).to.equal(2);
    });
  });
});
