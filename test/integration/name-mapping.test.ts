// Names TeraBox refuses, over the real drive and the emulator: with terabox.nameEncoding "fullwidth"
// (the default) each one is stored on TeraBox as its full-width look-alike and shown to the client as
// written, through PUT, PROPFIND, GET, MOVE, COPY and DELETE; "refuse" keeps the 400. The emulator
// refuses what TeraBox refuses (a trailing dot or space, control characters; a leading space with its
// knob on, as here), so a mapping that still reaches TeraBox in a refused form fails these tests.

import { expect } from 'chai';
import { parseMultistatus } from '../dav/client.js';
import { bytes, startStack, type Stack } from '../support/index.js';

/** Each refused character, how a URL carries it, and how TeraBox stores it. */
const CHARS: { c: string; url: string; stored: string }[] = [
  { c: ':', url: ':', stored: '：' },
  { c: '?', url: '%3F', stored: '？' },
  { c: '*', url: '*', stored: '＊' },
  { c: '<', url: '%3C', stored: '＜' },
  { c: '>', url: '%3E', stored: '＞' },
  { c: '|', url: '%7C', stored: '｜' },
  { c: '"', url: '%22', stored: '＂' },
  { c: '\\', url: '%5C', stored: '＼' },
];

/** Names refused for where a character sits (or for what it is), and how TeraBox stores each. */
const POSITIONAL: { why: string; name: string; url: string; stored: string }[] = [
  { why: 'a trailing dot', name: 'end.', url: 'end.', stored: 'end．' },
  { why: 'a trailing space', name: 'end ', url: 'end%20', stored: 'end␠' },
  { why: 'a leading space', name: ' lead', url: '%20lead', stored: '␠lead' },
  { why: 'a control character', name: 'c\x01x', url: 'c%01x', stored: 'c␁x' },
  { why: 'DEL', name: 'd\x7fx', url: 'd%7Fx', stored: 'd␡x' },
];

/** A name of exactly 255 bytes (UTF-8), TeraBox's limit; one more byte is refused. */
const NAME_255 = 'é'.repeat(120) + 'n'.repeat(15);

/** The emulator refusing everything the drive maps, the uncertain leading space included. */
const FAITHFUL = { refuseLeadingSpace: true };

describe('integration: name mapping', () => {
  let s: Stack;

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true, knobs: FAITHFUL });
    expect((await s.request('MKCOL', '/names/')).status).to.equal(201);
  });
  after(async () => {
    await s?.stop();
  });

  async function members(path: string): Promise<string[]> {
    const res = await s.request('PROPFIND', path, { headers: { depth: '1' } });
    expect(res.status).to.equal(207);
    return parseMultistatus(res.text)
      .slice(1)
      .map((r) => decodeURIComponent(r.href));
  }

  for (const { c, url, stored } of CHARS) {
    it(`round-trips ${JSON.stringify(c)} through PUT, PROPFIND, GET, MOVE, COPY and DELETE`, async () => {
      const body = bytes(1000 + c.charCodeAt(0));
      const dir = `/names/d${url}ir`;
      expect((await s.request('MKCOL', dir)).status, 'MKCOL').to.equal(201);
      expect(s.emu.entry(`/names/d${stored}ir`)?.isDir, 'TeraBox holds the mapped folder').to.equal(true);

      expect((await s.request('PUT', `${dir}/a${url}b.txt`, { body })).status, 'PUT').to.equal(201);
      expect(s.emu.entry(`/names/d${stored}ir/a${stored}b.txt`)?.size, 'TeraBox holds the mapped name').to.equal(body.length);
      expect(s.emu.entry(`/names/d${stored}ir/a${c}b.txt`), 'nothing under the raw name').to.equal(null);
      expect(await members(dir + '/')).to.deep.equal([`/names/d${c}ir/a${c}b.txt`]);
      expect((await s.request('GET', `${dir}/a${url}b.txt`)).body.equals(body), 'GET').to.equal(true);

      const moved = `${dir}/m${url}v.txt`;
      expect((await s.request('MOVE', `${dir}/a${url}b.txt`, { headers: { destination: s.origin + moved } })).status, 'MOVE').to.equal(201);
      expect(s.emu.entry(`/names/d${stored}ir/m${stored}v.txt`)?.size).to.equal(body.length);
      const copied = `/names/c${url}p.txt`;
      expect((await s.request('COPY', moved, { headers: { destination: s.origin + copied } })).status, 'COPY').to.equal(201);
      expect(s.emu.entry(`/names/c${stored}p.txt`)?.size).to.equal(body.length);
      expect((await s.request('GET', copied)).body.equals(body), 'GET the copy').to.equal(true);
      expect(await members(dir + '/')).to.deep.equal([`/names/d${c}ir/m${c}v.txt`]);

      expect((await s.request('DELETE', copied)).status, 'DELETE file').to.equal(204);
      expect((await s.request('DELETE', dir + '/')).status, 'DELETE folder').to.equal(204);
      expect(s.emu.entry(`/names/c${stored}p.txt`)).to.equal(null);
      expect(s.emu.entry(`/names/d${stored}ir`)).to.equal(null);
    });
  }

  const roundTrips = [...POSITIONAL, { why: 'a 255-byte name', name: NAME_255, url: encodeURIComponent(NAME_255), stored: NAME_255 }];
  for (const [i, { why, name, url, stored }] of roundTrips.entries()) {
    it(`round-trips a name with ${why} (folder and file) through PUT, PROPFIND, GET, MOVE, COPY and DELETE`, async () => {
      const body = bytes(2000 + i);
      const dir = `/names/pos${i}`;
      expect((await s.request('MKCOL', dir)).status).to.equal(201);
      expect((await s.request('MKCOL', `${dir}/other`)).status).to.equal(201);
      expect((await s.request('MKCOL', `${dir}/${url}`)).status, 'MKCOL').to.equal(201);
      expect(s.emu.entry(`${dir}/${stored}`)?.isDir, 'TeraBox holds the mapped folder').to.equal(true);

      const file = `${dir}/${url}/${url}`;
      expect((await s.request('PUT', file, { body })).status, 'PUT').to.equal(201);
      expect(s.emu.entry(`${dir}/${stored}/${stored}`)?.size, 'TeraBox holds the mapped name').to.equal(body.length);
      if (stored !== name) expect(s.emu.entry(`${dir}/${name}/${name}`), 'nothing under the raw name').to.equal(null);
      expect((await members(`${dir}/`)).sort()).to.deep.equal([`${dir}/${name}/`, `${dir}/other/`].sort());
      expect(await members(`${dir}/${url}/`)).to.deep.equal([`${dir}/${name}/${name}`]);
      expect((await s.request('GET', file)).body.equals(body), 'GET').to.equal(true);

      const moved = `${dir}/other/${url}`;
      expect((await s.request('MOVE', file, { headers: { destination: s.origin + moved } })).status, 'MOVE').to.equal(201);
      expect(s.emu.entry(`${dir}/other/${stored}`)?.size, 'moved on TeraBox').to.equal(body.length);
      expect(s.emu.entry(`${dir}/${stored}/${stored}`), 'gone from the old place').to.equal(null);
      expect((await s.request('COPY', moved, { headers: { destination: s.origin + file } })).status, 'COPY').to.equal(201);
      expect(s.emu.entry(`${dir}/${stored}/${stored}`)?.size, 'copied on TeraBox').to.equal(body.length);
      expect((await s.request('GET', file)).body.equals(body), 'GET the copy').to.equal(true);
      expect((await s.request('DELETE', moved)).status, 'DELETE file').to.equal(204);
      expect(s.emu.entry(`${dir}/other/${stored}`), 'deleted on TeraBox').to.equal(null);
      // The folder moves too, its member with it.
      const folder = `${dir}/other/${url}`;
      expect(
        (await s.request('MOVE', `${dir}/${url}/`, { headers: { destination: s.origin + folder + '/' } })).status,
        'MOVE folder',
      ).to.equal(201);
      expect(s.emu.entry(`${dir}/other/${stored}/${stored}`)?.size, 'the folder moved on TeraBox').to.equal(body.length);
      expect((await s.request('GET', `${folder}/${url}`)).body.equals(body), 'GET through the moved folder').to.equal(true);
      expect((await s.request('DELETE', folder + '/')).status, 'DELETE folder').to.equal(204);
      expect(s.emu.entry(`${dir}/other/${stored}`)).to.equal(null);
      expect(await members(`${dir}/`)).to.deep.equal([`${dir}/other/`]);
      expect(await members(`${dir}/other/`)).to.deep.equal([]);
    });
  }

  it('keeps a real full-width character distinct from the ASCII one (escaped on TeraBox)', async () => {
    const real = bytes(300);
    const ascii = bytes(301);
    expect((await s.request('PUT', `/names/${encodeURIComponent('x：y.txt')}`, { body: real })).status).to.equal(201);
    expect((await s.request('PUT', '/names/x:y.txt', { body: ascii })).status).to.equal(201);
    expect(s.emu.entry('/names/x‛：y.txt')?.size).to.equal(real.length);
    expect(s.emu.entry('/names/x：y.txt')?.size).to.equal(ascii.length);
    const listed = await members('/names/');
    expect(listed).to.include.members(['/names/x：y.txt', '/names/x:y.txt']);
    expect((await s.request('GET', `/names/${encodeURIComponent('x：y.txt')}`)).body.equals(real)).to.equal(true);
    expect((await s.request('GET', '/names/x:y.txt')).body.equals(ascii)).to.equal(true);
  });

  it('maps a trailing dot and a trailing space', async () => {
    expect((await s.request('PUT', '/names/dots.', { body: 'd' })).status).to.equal(201);
    expect((await s.request('PUT', '/names/space%20', { body: 's' })).status).to.equal(201);
    expect(s.emu.entry('/names/dots．')?.size).to.equal(1);
    expect(s.emu.entry('/names/space␠')?.size).to.equal(1);
    expect(await members('/names/')).to.include.members(['/names/dots.', '/names/space ']);
  });

  it('refuses a name over 255 bytes and a path over 1000 characters with a clear 400, sending nothing', async () => {
    s.emu.resetStats();
    const long = await s.request('PUT', `/names/${'n'.repeat(256)}`, { body: 'x' });
    expect(long.status).to.equal(400);
    expect(long.text).to.match(/255/);
    expect((await s.request('PUT', `/names/${encodeURIComponent(NAME_255 + 'n')}`, { body: 'x' })).status, '256 UTF-8 bytes').to.equal(400);
    // 255 bytes, but 256 once the trailing dot is stored as "．" (3 bytes): refused too.
    expect((await s.request('PUT', `/names/${'n'.repeat(254)}.`, { body: 'x' })).status, 'over once mapped').to.equal(400);
    // 86 colons are 258 bytes once mapped.
    expect((await s.request('PUT', `/names/${':'.repeat(86)}`, { body: 'x' })).status).to.equal(400);
    const deep = `/names/${'p'.repeat(200)}`.repeat(5);
    expect((await s.request('MKCOL', deep)).status).to.equal(400);
    expect(s.requests('precreate') + s.requests('create') + s.requests('rapidupload')).to.equal(0);
  });

  describe('a TeraBox that refuses leading dots too (emulator knob refuseLeadingDot)', () => {
    let d: Stack;
    before(async () => {
      d = await startStack({ upTo: 'webdav', smallParts: true, knobs: { ...FAITHFUL, refuseLeadingDot: true } });
    });
    after(async () => {
      await d?.stop();
    });

    it('answers a dot file with a clear 400 (the drive does not map leading dots) and keeps nothing', async () => {
      const res = await d.request('PUT', '/.env', { body: 'x' });
      expect(res.status).to.equal(400);
      expect(res.text).to.match(/name/);
      expect(d.emu.entry('/.env')).to.equal(null);
      expect((await d.request('MKCOL', '/.config/')).status).to.equal(400);
      const listing = await d.request('PROPFIND', '/', { headers: { depth: '1' } });
      expect(parseMultistatus(listing.text).map((x) => x.href)).to.deep.equal(['/']);
      expect((await d.request('PUT', '/a.env', { body: 'x' })).status, 'a dot inside is fine').to.equal(201);
    });
  });

  describe('terabox.nameEncoding "refuse"', () => {
    let r: Stack;
    before(async () => {
      r = await startStack({ upTo: 'webdav', smallParts: true, knobs: FAITHFUL, configure: (c) => (c.terabox.nameEncoding = 'refuse') });
    });
    after(async () => {
      await r?.stop();
    });

    it('answers 400 for every refused character (PUT, MKCOL, COPY) and stores nothing', async () => {
      expect((await r.request('PUT', '/plain.txt', { body: 'x' })).status).to.equal(201);
      for (const { c, url } of [...CHARS, { c: '\n', url: '%0A' }, { c: '\t', url: '%09' }]) {
        const res = await r.request('PUT', `/a${url}b.txt`, { body: 'x' });
        expect(res.status, JSON.stringify(c)).to.equal(400);
        expect(res.text, JSON.stringify(c)).to.match(/name/);
        expect((await r.request('MKCOL', `/d${url}/`)).status, `MKCOL ${JSON.stringify(c)}`).to.equal(400);
        expect(
          (await r.request('COPY', '/plain.txt', { headers: { destination: `/c${url}.txt` } })).status,
          `COPY ${JSON.stringify(c)}`,
        ).to.equal(400);
      }
      const listing = await r.request('PROPFIND', '/', { headers: { depth: '1' } });
      expect(
        parseMultistatus(listing.text)
          .map((x) => x.href)
          .sort(),
      ).to.deep.equal(['/', '/plain.txt']);
    });

    it('answers 400 for a trailing dot or space, a leading space, a control character or DEL, sending nothing', async () => {
      expect((await r.request('PUT', '/plain2.txt', { body: 'x' })).status).to.equal(201);
      r.emu.resetStats();
      for (const { why, url } of POSITIONAL) {
        const put = await r.request('PUT', `/${url}`, { body: 'x' });
        expect(put.status, `PUT ${why}`).to.equal(400);
        expect(put.text, `PUT ${why}`).to.match(/name/);
        expect((await r.request('MKCOL', `/${url}/`)).status, `MKCOL ${why}`).to.equal(400);
        expect((await r.request('COPY', '/plain2.txt', { headers: { destination: `/${url}` } })).status, `COPY ${why}`).to.equal(400);
        expect((await r.request('MOVE', '/plain2.txt', { headers: { destination: `/${url}` } })).status, `MOVE ${why}`).to.equal(400);
      }
      const sent = ['precreate', 'create', 'rapidupload', 'filemanager'] as const;
      expect(
        sent.map((e) => r.requests(e)),
        'nothing reached TeraBox',
      ).to.deep.equal([0, 0, 0, 0]);
      expect((await r.request('GET', '/plain2.txt')).text).to.equal('x');
      // Reading such a name is not an error: nothing can be there.
      for (const { why, url } of POSITIONAL) {
        expect((await r.request('PROPFIND', `/${url}`, { headers: { depth: '0' } })).status, `PROPFIND ${why}`).to.equal(404);
        expect((await r.request('GET', `/${url}`)).status, `GET ${why}`).to.equal(404);
        expect((await r.request('PROPFIND', `/${url}/`, { headers: { depth: '1' } })).status, `PROPFIND folder ${why}`).to.equal(404);
      }
    });

    it('takes a 255-byte name and refuses a 256-byte one before anything is sent', async () => {
      const body = bytes(255);
      expect((await r.request('PUT', `/${encodeURIComponent(NAME_255)}`, { body })).status).to.equal(201);
      expect(r.emu.entry(`/${NAME_255}`)?.size).to.equal(body.length);
      r.emu.resetStats();
      const long = await r.request('PUT', `/${encodeURIComponent(NAME_255 + 'n')}`, { body });
      expect(long.status).to.equal(400);
      expect(long.text).to.match(/255/);
      expect((await r.request('MKCOL', `/${encodeURIComponent('é'.repeat(128))}`)).status).to.equal(400);
      expect(r.requests('precreate') + r.requests('create') + r.requests('rapidupload')).to.equal(0);
    });
  });
});
