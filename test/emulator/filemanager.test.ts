// /api/filemanager: delete, move, rename and copy on files and trees, ondup, per-item errnos.

import { expect } from 'chai';
import { request } from 'undici';
import { rawClient, type Raw } from './helpers.js';
import { bytes, startStack, type Stack } from '../support/index.js';

describe('emulator: filemanager', () => {
  let h: Stack;
  let raw: Raw;
  beforeEach(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true });
    raw = await rawClient(h.emu);
    await raw.upload('/src/a.txt', bytes(100, 1));
    await raw.upload('/src/tree/one.txt', bytes(200, 2));
    await raw.upload('/src/tree/deep/two.txt', bytes(300, 3));
    await raw.upload('/dst/a.txt', bytes(50, 4));
  });
  afterEach(async () => {
    await h.stop();
  });

  const content = (path: string) => h.emu.readFile(path);

  it('renames a file, keeping its fs_id', async () => {
    const before = h.emu.entry('/src/a.txt')!;
    const r = await raw.filemanager('rename', [{ path: '/src/a.txt', newname: 'b 1+1.txt' }]);
    expect(r.json.errno).to.equal(0);
    expect(r.json.info[0].errno).to.equal(0);
    expect(h.emu.entry('/src/a.txt')).to.equal(null);
    expect(h.emu.entry('/src/b 1+1.txt')!.fsId).to.equal(before.fsId);
  });

  it('decodes `+` in the form body as a space and %2B as a plus, like any form', async () => {
    // A browser-style body: JSON punctuation raw, spaces as `+`, a real plus as %2B.
    const filelist = JSON.stringify([{ path: '/src/a.txt', newname: 'with space 1%2B1.txt' }]).replace(/ /g, '+');
    const res = await request(`${h.emu.url}/api/filemanager?opera=rename&jsToken=${raw.jsToken}`, {
      method: 'POST',
      headers: { cookie: raw.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `filelist=${filelist}&async=0`,
    });
    expect(((await res.body.json()) as { errno: number }).errno).to.equal(0);
    expect(h.emu.entry('/src/with space 1+1.txt')).to.not.equal(null);
  });

  it('moves a whole tree, keeping fs_ids, creating the destination directory', async () => {
    const deep = h.emu.entry('/src/tree/deep/two.txt')!;
    const r = await raw.filemanager('move', [{ path: '/src/tree', dest: '/new/place', newname: 'moved' }]);
    expect(r.json.errno).to.equal(0);
    expect(h.emu.entry('/src/tree')).to.equal(null);
    expect(h.emu.entry('/src/tree/deep/two.txt')).to.equal(null);
    expect(h.emu.entry('/new/place/moved/deep/two.txt')!.fsId).to.equal(deep.fsId);
    expect(await content('/new/place/moved/one.txt')).to.deep.equal(bytes(200, 2));
    const listed = await raw.list('/new/place/moved/deep');
    expect(listed.json.list[0]).to.include({ path: '/new/place/moved/deep/two.txt' });
  });

  it('copies a whole tree with new fs_ids, leaving the source', async () => {
    const r = await raw.filemanager('copy', [{ path: '/src/tree', dest: '/dst', newname: 'tree' }]);
    expect(r.json.errno).to.equal(0);
    expect(h.emu.entry('/src/tree/deep/two.txt')).to.not.equal(null);
    const copy = h.emu.entry('/dst/tree/deep/two.txt')!;
    expect(copy.fsId).to.not.equal(h.emu.entry('/src/tree/deep/two.txt')!.fsId);
    expect(await content('/dst/tree/deep/two.txt')).to.deep.equal(bytes(300, 3));
    const quota = await raw.get('/api/quota');
    expect(quota.json.used).to.equal(100 + 200 + 300 + 50 + 200 + 300);
  });

  it('deletes files and trees, answering -9 per missing item and errno 12 overall', async () => {
    const r = await raw.filemanager('delete', ['/src/tree', '/nothing', '/src/a.txt']);
    expect(r.json.errno).to.equal(12);
    expect(r.json.info.map((i: { errno: number }) => i.errno)).to.deep.equal([0, -9, 0]);
    expect(h.emu.entry('/src/tree/deep')).to.equal(null);
    expect(h.emu.entry('/src/a.txt')).to.equal(null);
    expect((await raw.get('/api/quota')).json.used).to.equal(50);
  });

  describe('ondup', () => {
    const move = [{ path: '/src/a.txt', dest: '/dst', newname: 'a.txt' }];

    it('fail (the default) answers -8 for the item and changes nothing', async () => {
      const r = await raw.filemanager('move', move);
      expect(r.json.errno).to.equal(12);
      expect(r.json.info[0].errno).to.equal(-8);
      expect(await content('/dst/a.txt')).to.deep.equal(bytes(50, 4));
      expect(h.emu.entry('/src/a.txt')).to.not.equal(null);
    });

    it('overwrite replaces the destination (body field)', async () => {
      const r = await raw.filemanager('move', move, { ondup: 'overwrite' });
      expect(r.json.errno).to.equal(0);
      expect(await content('/dst/a.txt')).to.deep.equal(bytes(100, 1));
      expect(h.emu.entry('/src/a.txt')).to.equal(null);
    });

    it('newcopy picks name(1).ext (per-item field)', async () => {
      const r = await raw.filemanager('copy', [{ ...move[0], ondup: 'newcopy' }]);
      expect(r.json.errno).to.equal(0);
      expect(await content('/dst/a(1).txt')).to.deep.equal(bytes(100, 1));
      expect(await content('/dst/a.txt')).to.deep.equal(bytes(50, 4));
    });

    it('is read from the query too', async () => {
      const r = await raw.post(
        '/api/filemanager',
        { opera: 'move', jsToken: raw.jsToken, ondup: 'overwrite' },
        { filelist: JSON.stringify(move) },
      );
      expect(r.json.errno).to.equal(0);
    });

    it('overwrite replaces a directory tree with a directory tree', async () => {
      await raw.upload('/dst/tree/old.txt', bytes(10, 9));
      const r = await raw.filemanager('move', [{ path: '/src/tree', dest: '/dst', newname: 'tree', ondup: 'overwrite' }]);
      expect(r.json.errno).to.equal(0);
      expect(h.emu.entry('/dst/tree/old.txt')).to.equal(null);
      expect(h.emu.entry('/dst/tree/deep/two.txt')).to.not.equal(null);
    });
  });

  it('answers -7 for an invalid new name and 2 for a move into itself', async () => {
    const r = await raw.filemanager('rename', [
      { path: '/src/a.txt', newname: 'bad/name' },
      { path: '/src/a.txt', newname: 'a?b' },
    ]);
    expect(r.json.info.map((i: { errno: number }) => i.errno)).to.deep.equal([-7, -7]);
    const into = await raw.filemanager('move', [{ path: '/src/tree', dest: '/src/tree/deep', newname: 'x' }]);
    expect(into.json.info[0].errno).to.equal(2);
    expect(h.emu.entry('/src/tree/deep/two.txt')).to.not.equal(null);
  });

  it('refuses more than 100 items with errno 3 and applies none', async () => {
    const list = Array.from({ length: 101 }, () => '/src/a.txt');
    const r = await raw.filemanager('delete', list);
    expect(r.json.errno).to.equal(3);
    expect(h.emu.entry('/src/a.txt')).to.not.equal(null);
  });

  it('serves the xpan alias, which needs the bdstoken and answers 450016 without a jsToken', async () => {
    const list = JSON.stringify([{ path: '/src/a.txt', newname: 'xpan.txt' }]);
    const q = { method: 'filemanager', opera: 'rename', bdstoken: raw.bdstoken };
    expect((await raw.post('/rest/2.0/xpan/file', q, { filelist: list })).json.errno).to.equal(450016);
    expect(
      (await raw.post('/rest/2.0/xpan/file', { ...q, bdstoken: undefined, jsToken: raw.jsToken }, { filelist: list })).json.errno,
    ).to.equal(2);
    expect((await raw.post('/rest/2.0/xpan/file', { ...q, jsToken: raw.jsToken }, { filelist: list, async: 0 })).json.errno).to.equal(0);
    expect(h.emu.entry('/src/xpan.txt')).to.not.equal(null);
  });

  it('answers a taskid with async=2', async () => {
    const r = await raw.filemanager('delete', ['/src/a.txt'], { async: 2 });
    expect(r.json.errno).to.equal(0);
    expect(r.json.taskid).to.be.a('number');
  });

  it('answers errno 2 for a malformed filelist or opera', async () => {
    const bad = await raw.post('/api/filemanager', { opera: 'delete', jsToken: raw.jsToken }, { filelist: '["/src/a.txt"' });
    expect(bad.json.errno).to.equal(2);
    const op = await raw.post('/api/filemanager', { opera: 'explode', jsToken: raw.jsToken }, { filelist: '[]' });
    expect(op.json.errno).to.equal(2);
    expect(h.emu.entry('/src/a.txt')).to.not.equal(null);
  });
});
