// MKCOL, DELETE, COPY and MOVE over the real drive: statuses, Destination forms, Overwrite and Depth,
// and that copies and moves are done by TeraBox itself (filemanager), never by re-uploading bytes.

import { expect } from 'chai';
import { parseMultistatus } from '../dav/client.js';
import { startStack, type Stack, bytes } from '../support/index.js';
import type { EndpointName } from '../../src/emulator/index.js';

const BYTE_MOVERS: EndpointName[] = ['superfile2', 'data', 'precreate', 'create', 'rapidupload', 'dlink'];

describe('integration: MKCOL, DELETE, COPY, MOVE', () => {
  let s: Stack;

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true });
  });
  after(async () => {
    await s?.stop();
  });

  async function put(path: string, body: Buffer | string): Promise<void> {
    expect((await s.request('PUT', path, { body })).status, `PUT ${path}`).to.equal(201);
  }

  async function content(path: string): Promise<Buffer> {
    const res = await s.request('GET', path);
    expect(res.status, `GET ${path}`).to.equal(200);
    return res.body;
  }

  async function members(path: string): Promise<string[]> {
    const res = await s.request('PROPFIND', path, { headers: { depth: '1' } });
    expect(res.status).to.equal(207);
    return parseMultistatus(res.text)
      .map((r) => r.href)
      .slice(1)
      .sort();
  }

  /** Runs fn and checks that TeraBox moved no file bytes while it ran (only filemanager/list/meta calls). */
  async function serverSide<T>(fn: () => Promise<T>): Promise<T> {
    s.emu.resetStats();
    const result = await fn();
    for (const name of BYTE_MOVERS) expect(s.requests(name), `${name} calls`).to.equal(0);
    expect(s.requests('filemanager'), 'filemanager calls').to.be.greaterThan(0);
    return result;
  }

  describe('MKCOL', () => {
    it('creates a collection (201) that TeraBox holds as a directory', async () => {
      expect((await s.request('MKCOL', '/made/')).status).to.equal(201);
      expect(s.emu.entry('/made')!.isDir).to.equal(true);
      expect((await s.request('MKCOL', '/made/deeper')).status).to.equal(201);
      expect(s.emu.entry('/made/deeper')!.isDir).to.equal(true);
    });

    it('creates the litmus base collection on a fresh drive (litmus starts with MKCOL /litmus/)', async () => {
      const fresh = await startStack({ upTo: 'webdav', smallParts: true });
      try {
        expect((await fresh.request('DELETE', '/litmus/')).status).to.equal(404);
        expect((await fresh.request('MKCOL', '/litmus/')).status).to.equal(201);
        expect((await fresh.request('PUT', '/litmus/res', { body: 'litmus' })).status).to.equal(201);
        // Given a base URL that does not exist, litmus's own MKCOL <base>/litmus/ is rightly a 409.
        expect((await fresh.request('MKCOL', '/missing-base/litmus/')).status).to.equal(409);
      } finally {
        await fresh.stop();
      }
    });

    it('answers 405 when something exists there, 409 without a parent, 415 with a body', async () => {
      await put('/made/file.txt', 'f');
      expect((await s.request('MKCOL', '/made/')).status).to.equal(405);
      expect((await s.request('MKCOL', '/made/file.txt')).status).to.equal(405);
      expect((await s.request('MKCOL', '/no/parent/')).status).to.equal(409);
      expect((await s.request('MKCOL', '/made/file.txt/child/')).status).to.equal(409);
      expect((await s.request('MKCOL', '/made/with-body/', { body: '<x/>', headers: { 'content-type': 'text/xml' } })).status).to.equal(
        415,
      );
      expect(s.emu.entry('/made/with-body')).to.equal(null);
      expect(s.emu.entry('/no')).to.equal(null);
    });
  });

  describe('DELETE', () => {
    it('deletes a file (204) and then answers 404', async () => {
      await put('/gone.txt', 'bye');
      expect((await s.request('DELETE', '/gone.txt')).status).to.equal(204);
      expect(s.emu.entry('/gone.txt')).to.equal(null);
      expect((await s.request('GET', '/gone.txt')).status).to.equal(404);
      expect((await s.request('DELETE', '/gone.txt')).status).to.equal(404);
    });

    it('deletes a whole tree, overlay files inside it included', async () => {
      expect((await s.request('MKCOL', '/doomed/')).status).to.equal(201);
      expect((await s.request('MKCOL', '/doomed/a/')).status).to.equal(201);
      await put('/doomed/a/one.txt', 'one');
      await put('/doomed/two.bin', bytes(70_000));
      await put('/doomed/a/._one.txt', 'apple double');
      expect((await s.request('PUT', '/doomed/empty.txt', { body: '' })).status).to.equal(201);
      expect((await s.request('DELETE', '/doomed/')).status).to.equal(204);
      expect(s.emu.entry('/doomed')).to.equal(null);
      for (const p of ['/doomed/', '/doomed/a/._one.txt', '/doomed/empty.txt', '/doomed/a/one.txt']) {
        expect((await s.request('PROPFIND', p, { headers: { depth: '0' } })).status, p).to.equal(404);
      }
      // A new folder of the same name starts empty: no overlay row came back.
      expect((await s.request('MKCOL', '/doomed/')).status).to.equal(201);
      expect(await members('/doomed/')).to.deep.equal([]);
    });

    it('refuses to delete the root', async () => {
      expect((await s.request('DELETE', '/')).status).to.equal(403);
    });
  });

  describe('COPY and MOVE', () => {
    it('copies a file server-side to an absolute Destination URL (201), then over it with Overwrite absent (204)', async () => {
      const body = bytes(130_000);
      await put('/c-src.bin', body);
      await put('/c-dst.bin', 'old destination');
      const created = await serverSide(() => s.request('COPY', '/c-src.bin', { headers: { destination: `${s.origin}/c-new.bin` } }));
      expect(created.status).to.equal(201);
      const replaced = await serverSide(() => s.request('COPY', '/c-src.bin', { headers: { destination: `${s.origin}/c-dst.bin` } }));
      expect(replaced.status).to.equal(204);
      expect((await content('/c-new.bin')).equals(body)).to.equal(true);
      expect((await content('/c-dst.bin')).equals(body)).to.equal(true);
      expect((await content('/c-src.bin')).equals(body)).to.equal(true);
      expect(s.emu.entry('/c-dst.bin')!.md5).to.equal(s.emu.entry('/c-src.bin')!.md5);
    });

    it('resolves a relative Destination against the request collection', async () => {
      expect((await s.request('MKCOL', '/rel/')).status).to.equal(201);
      await put('/rel/a.txt', 'relative');
      expect((await s.request('COPY', '/rel/a.txt', { headers: { destination: 'b.txt' } })).status).to.equal(201);
      expect((await content('/rel/b.txt')).toString()).to.equal('relative');
      expect((await s.request('MOVE', '/rel/b.txt', { headers: { destination: '/rel/c.txt' } })).status).to.equal(201);
      expect(await members('/rel/')).to.deep.equal(['/rel/a.txt', '/rel/c.txt']);
    });

    it('answers 412 for Overwrite: F onto an existing resource and changes nothing', async () => {
      await put('/f-src.txt', 'source');
      await put('/f-dst.txt', 'destination');
      for (const method of ['COPY', 'MOVE']) {
        const res = await s.request(method, '/f-src.txt', { headers: { destination: '/f-dst.txt', overwrite: 'F' } });
        expect(res.status, method).to.equal(412);
      }
      expect((await content('/f-src.txt')).toString()).to.equal('source');
      expect((await content('/f-dst.txt')).toString()).to.equal('destination');
      expect((await s.request('COPY', '/f-src.txt', { headers: { destination: '/f-new.txt', overwrite: 'F' } })).status).to.equal(201);
    });

    it('moves a file server-side with Overwrite: T (204), the source gone', async () => {
      const body = bytes(90_000);
      await put('/m-src.bin', body);
      await put('/m-dst.bin', 'to be replaced');
      const fsId = s.emu.entry('/m-src.bin')!.fsId;
      const res = await serverSide(() => s.request('MOVE', '/m-src.bin', { headers: { destination: '/m-dst.bin', overwrite: 'T' } }));
      expect(res.status).to.equal(204);
      expect(s.emu.entry('/m-src.bin')).to.equal(null);
      expect(s.emu.entry('/m-dst.bin')!.fsId).to.equal(fsId);
      expect((await content('/m-dst.bin')).equals(body)).to.equal(true);
      expect((await s.request('GET', '/m-src.bin')).status).to.equal(404);
    });

    it('moves a directory the way rclone does (trailing slashes, absolute URL) with everything in it', async () => {
      expect((await s.request('MKCOL', '/dm-src/')).status).to.equal(201);
      expect((await s.request('MKCOL', '/dm-src/sub/')).status).to.equal(201);
      await put('/dm-src/sub/x.bin', bytes(80_000));
      await put('/dm-src/.DS_Store', 'finder junk');
      expect((await s.request('PROPFIND', '/dm-dst/', { headers: { depth: '0' } })).status).to.equal(404);
      const res = await serverSide(() =>
        s.request('MOVE', '/dm-src/', { headers: { destination: `${s.origin}/dm-dst/`, overwrite: 'T' } }),
      );
      expect(res.status).to.equal(201);
      expect(await members('/dm-dst/')).to.deep.equal(['/dm-dst/.DS_Store', '/dm-dst/sub/']);
      expect(await members('/dm-dst/sub/')).to.deep.equal(['/dm-dst/sub/x.bin']);
      expect((await content('/dm-dst/.DS_Store')).toString()).to.equal('finder junk');
      expect((await s.request('PROPFIND', '/dm-src/', { headers: { depth: '0' } })).status).to.equal(404);
      expect(s.emu.entry('/dm-src')).to.equal(null);
    });

    it('copies a tree with Depth infinity and only the collection with Depth 0', async () => {
      expect((await s.request('MKCOL', '/tree/')).status).to.equal(201);
      await put('/tree/leaf.txt', 'leaf');
      expect((await s.request('MKCOL', '/tree/inner/')).status).to.equal(201);
      await put('/tree/inner/deep.txt', 'deep');
      const deep = await serverSide(() => s.request('COPY', '/tree/', { headers: { destination: '/tree-all/', depth: 'infinity' } }));
      expect(deep.status).to.equal(201);
      expect(await members('/tree-all/')).to.deep.equal(['/tree-all/inner/', '/tree-all/leaf.txt']);
      expect((await content('/tree-all/inner/deep.txt')).toString()).to.equal('deep');

      const shallow = await s.request('COPY', '/tree/', { headers: { destination: '/tree-top/', depth: '0' } });
      expect(shallow.status).to.equal(201);
      expect(await members('/tree-top/')).to.deep.equal([]);
      expect(s.emu.entry('/tree-top')!.isDir).to.equal(true);
      expect(await members('/tree/')).to.deep.equal(['/tree/inner/', '/tree/leaf.txt']);
    });

    it('replaces a directory with Overwrite: T, keeping none of the old destination members', async () => {
      expect((await s.request('MKCOL', '/rd-src/')).status).to.equal(201);
      await put('/rd-src/new.txt', 'new');
      expect((await s.request('MKCOL', '/rd-dst/')).status).to.equal(201);
      await put('/rd-dst/old.txt', 'old');
      const res = await s.request('MOVE', '/rd-src/', { headers: { destination: '/rd-dst/' } });
      expect(res.status).to.equal(204);
      expect(await members('/rd-dst/')).to.deep.equal(['/rd-dst/new.txt']);
      expect(s.emu.entry('/rd-dst/old.txt')).to.equal(null);
      expect(await members('/')).to.not.include.members(['/rd-src/']);
      // The old destination was set aside and deleted, not left behind under another name.
      expect((await members('/')).filter((h) => h.includes('.replaced'))).to.deep.equal([]);
    });

    it('answers 403 onto itself, 409 into its own subtree or under a missing parent, 404 for a missing source', async () => {
      expect((await s.request('MKCOL', '/self/')).status).to.equal(201);
      expect((await s.request('MOVE', '/self/', { headers: { destination: '/self/' } })).status).to.equal(403);
      expect((await s.request('MOVE', '/self/', { headers: { destination: '/self/inside/' } })).status).to.equal(409);
      expect((await s.request('COPY', '/self/', { headers: { destination: '/no/such/place/' } })).status).to.equal(409);
      expect((await s.request('COPY', '/nothing.txt', { headers: { destination: '/x.txt' } })).status).to.equal(404);
      expect((await s.request('MOVE', '/self/', {})).status).to.equal(400);
      expect(s.emu.entry('/self')!.isDir).to.equal(true);
    });

    it('answers 502 or 503 when TeraBox fails a move, copy, delete or mkdir, and changes nothing', async () => {
      expect((await s.request('MKCOL', '/fa/')).status).to.equal(201);
      await put('/fa/f.bin', bytes(10_000));
      expect((await s.request('MKCOL', '/fb/')).status).to.equal(201);
      await put('/fb/g.bin', 'g');
      const before = [await members('/fa/'), await members('/fb/')];
      for (const [fault, status] of [
        ['http5xx', 502],
        // No answer at all: TeraBox unreachable, 503 like on PUT (one table, terabox/errors.ts).
        ['reset', 503],
        ['errno31034', 503],
      ] as const) {
        s.emu.setKnobs({ faults: { filemanager: { [fault]: 1 }, create: { [fault]: 1 } } });
        const statuses = [
          (await s.request('MOVE', '/fa/', { headers: { destination: '/fb/' } })).status,
          (await s.request('MOVE', '/fa/f.bin', { headers: { destination: '/fa/h.bin' } })).status,
          (await s.request('COPY', '/fa/f.bin', { headers: { destination: '/fb/g.bin' } })).status,
          (await s.request('DELETE', '/fa/f.bin')).status,
          (await s.request('MKCOL', '/fc/')).status,
        ];
        s.emu.setKnobs({ faults: {} });
        expect(statuses, fault).to.deep.equal([status, status, status, status, status]);
        expect([await members('/fa/'), await members('/fb/')], fault).to.deep.equal(before);
        expect((await content('/fb/g.bin')).toString()).to.equal('g');
      }
      expect((await s.request('MOVE', '/fa/', { headers: { destination: '/fb/' } })).status).to.equal(204);
      expect(await members('/fb/')).to.deep.equal(['/fb/f.bin']);
    });

    it('answers 400 to a bad Overwrite value and to MOVE with Depth 0', async () => {
      await put('/bad-hdr.txt', 'x');
      expect((await s.request('COPY', '/bad-hdr.txt', { headers: { destination: '/y.txt', overwrite: 'maybe' } })).status).to.equal(400);
      expect((await s.request('MOVE', '/bad-hdr.txt', { headers: { destination: '/y.txt', depth: '0' } })).status).to.equal(400);
      expect(s.emu.entry('/y.txt')).to.equal(null);
    });
  });
});
