// OPTIONS and PROPFIND over the real drive: capability headers on every path, Depth rules, the three
// request kinds, live properties that match what TeraBox stores, quota from the account, hrefs.

import { expect } from 'chai';
import {
  header,
  parseMultistatus,
  raw,
  statusesOf,
  propfindBody,
  propOf,
  textOf,
  type MultiStatusResponse,
  firstResponse,
} from '../dav/client.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import { startStack, type Stack, MiB, bytes, at } from '../support/index.js';

const QUOTA = 10 * MiB;

function byHref(responses: MultiStatusResponse[]): Map<string, MultiStatusResponse> {
  return new Map(responses.map((r) => [r.href, r]));
}

function value(r: MultiStatusResponse, prop: string): string | undefined {
  const p = propOf(r, `{DAV:}${prop}`);
  return p && p.status === 200 ? textOf(p.el) : undefined;
}

describe('integration: OPTIONS and PROPFIND', () => {
  let s: Stack;
  const body = bytes(150_000);

  before(async () => {
    s = await startStack({
      upTo: 'webdav',
      smallParts: true,
      account: { quotaBytes: QUOTA },
      configure: (c) => (c.cache.quotaTtlSeconds = 0),
    });
    expect((await s.request('MKCOL', '/docs/')).status).to.equal(201);
    expect((await s.request('PUT', '/docs/report.bin', { body })).status).to.equal(201);
  });
  after(async () => {
    await s?.stop();
  });

  it('answers OPTIONS with DAV 1, 2, MS-Author-Via and Allow on the root, folders, files and unmapped paths', async () => {
    for (const path of ['/', '/docs/', '/docs', '/docs/report.bin', '/nothing-here']) {
      const res = await s.request('OPTIONS', path);
      expect(res.status, path).to.equal(200);
      expect(header(res, 'dav'), path).to.equal('1, 2');
      expect(header(res, 'ms-author-via'), path).to.equal('DAV');
      const allow = header(res, 'allow')!.split(/,\s*/);
      expect(allow, path).to.include.members([
        'OPTIONS',
        'GET',
        'HEAD',
        'PUT',
        'DELETE',
        'PROPFIND',
        'PROPPATCH',
        'MKCOL',
        'COPY',
        'MOVE',
        'LOCK',
        'UNLOCK',
      ]);
    }
  });

  it('answers OPTIONS * (the server itself) like the root', async () => {
    const res = await raw(s.port, 'OPTIONS * HTTP/1.1\nHost: 127.0.0.1\nConnection: close');
    expect(statusesOf(res.text)).to.deep.equal([200]);
    expect(res.text).to.match(/^DAV: 1, 2\r$/im);
    expect(res.text).to.match(/^MS-Author-Via: DAV\r$/im);
  });

  it('lists a collection with Depth 1: itself first, members with their stored sizes, collections ending in /', async () => {
    expect((await s.request('MKCOL', '/docs/sub/')).status).to.equal(201);
    const res = await s.request('PROPFIND', '/docs/', { headers: { depth: '1' } });
    expect(res.status).to.equal(207);
    const responses = parseMultistatus(res.text);
    expect(responses.map((r) => r.href)).to.have.members(['/docs/', '/docs/report.bin', '/docs/sub/']);
    expect(at(responses, 0).href).to.equal('/docs/');
    const all = byHref(responses);
    expect(value(all.get('/docs/report.bin')!, 'getcontentlength')).to.equal(String(s.emu.entry('/docs/report.bin')!.size));
    expect(value(all.get('/docs/report.bin')!, 'getcontentlength')).to.equal(String(body.length));
    expect(propOf(all.get('/docs/sub/')!, '{DAV:}resourcetype')!.el.children).to.have.length(1);
    expect(propOf(all.get('/docs/report.bin')!, '{DAV:}resourcetype')!.el.children).to.have.length(0);
  });

  it('lists a folder spanning more than one TeraBox list page completely, with one list call per page and no per-entry calls', async () => {
    // Made on TeraBox directly (as another TeraBox client would), 100 copies per filemanager call.
    const api = createTeraBoxClient({ baseUrl: s.emu.url, cookie: s.emu.defaultCookie });
    try {
      await api.mkdir('/many');
      await api.mkdir('/many-seed');
      const names = Array.from({ length: 1005 }, (_, i) => `d${String(i).padStart(4, '0')}`);
      for (let i = 0; i < names.length; i += 100) {
        await api.copy(names.slice(i, i + 100).map((newname) => ({ path: '/many-seed', dest: '/many', newname })));
      }
    } finally {
      await api.close();
    }
    // Our cached root listing predates /many; a restart starts with cold caches.
    await s.restart();
    s.emu.resetStats();
    const res = await s.request('PROPFIND', '/many/', { headers: { depth: '1' } });
    const hrefs = parseMultistatus(res.text).map((r) => r.href);
    expect(hrefs).to.have.length(1006);
    expect(new Set(hrefs).size).to.equal(1006);
    expect(hrefs).to.include.members(['/many/d0000/', '/many/d0999/', '/many/d1004/']);
    // The root (to find /many: a page and the empty page after it) and /many (1000 + 6 + the empty page).
    expect(s.requests('list')).to.equal(5);
    expect(s.requests('filemetas')).to.equal(0);
  });

  it('answers Depth 0 with the resource alone, for files and collections', async () => {
    for (const [path, href] of [
      ['/docs', '/docs/'],
      ['/docs/report.bin', '/docs/report.bin'],
      ['/', '/'],
    ] as const) {
      const res = await s.request('PROPFIND', path, { headers: { depth: '0' } });
      expect(res.status, path).to.equal(207);
      expect(
        parseMultistatus(res.text).map((r) => r.href),
        path,
      ).to.deep.equal([href]);
    }
  });

  it('answers Depth infinity and a missing Depth with the whole tree', async () => {
    const one = parseMultistatus((await s.request('PROPFIND', '/docs/', { headers: { depth: '1' } })).text).map((r) => r.href);
    for (const headers of [{ depth: 'infinity' }, {} as Record<string, string>]) {
      const res = await s.request('PROPFIND', '/docs/', { headers });
      expect(res.status).to.equal(207);
      const hrefs = parseMultistatus(res.text).map((r) => r.href);
      expect(hrefs).to.include.members(one);
      expect(new Set(hrefs).size).to.equal(hrefs.length);
    }
  });

  it('answers 404 for PROPFIND on a path that does not exist', async () => {
    expect((await s.request('PROPFIND', '/docs/missing.txt', { headers: { depth: '0' } })).status).to.equal(404);
  });

  it('serves allprop, and treats an empty body as allprop', async () => {
    const allprop = await s.request('PROPFIND', '/docs/report.bin', {
      headers: { depth: '0' },
      body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
    });
    const empty = await s.request('PROPFIND', '/docs/report.bin', { headers: { depth: '0' } });
    const names = (r: MultiStatusResponse) => [...at(r.propstats, 0).props.keys()].sort();
    const a = firstResponse(allprop.text);
    const e = firstResponse(empty.text);
    expect(a.propstats).to.have.length(1);
    expect(names(a)).to.deep.equal(names(e));
    expect(names(a)).to.include.members([
      '{DAV:}getcontentlength',
      '{DAV:}getetag',
      '{DAV:}getlastmodified',
      '{DAV:}resourcetype',
      '{DAV:}supportedlock',
    ]);
    // RFC 4331: quota properties are not part of allprop.
    expect(names(a)).to.not.include('{DAV:}quota-used-bytes');
  });

  it('gives ETag, Last-Modified and size in PROPFIND exactly as GET sends them', async () => {
    const r = firstResponse((await s.request('PROPFIND', '/docs/report.bin', { headers: { depth: '0' } })).text);
    const get = await s.request('GET', '/docs/report.bin');
    expect(get.body.equals(body)).to.equal(true);
    expect(value(r, 'getetag')).to.equal(header(get, 'etag'));
    expect(value(r, 'getlastmodified')).to.equal(header(get, 'last-modified'));
    expect(value(r, 'getlastmodified')).to.match(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(value(r, 'getcontentlength')).to.equal(header(get, 'content-length'));
  });

  it('answers propname with names only, dead properties included', async () => {
    const patch = await s.request('PROPPATCH', '/docs/report.bin', {
      body: '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-test:"><D:set><D:prop><Z:color>blue</Z:color></D:prop></D:set></D:propertyupdate>',
    });
    expect(patch.status).to.equal(207);
    const res = await s.request('PROPFIND', '/docs/report.bin', {
      headers: { depth: '0' },
      body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>',
    });
    const r = firstResponse(res.text);
    const props = at(r.propstats, 0).props;
    expect([...props.keys()]).to.include.members(['{DAV:}getetag', '{DAV:}getcontentlength', '{urn:x-test:}color']);
    for (const el of props.values()) expect(el.children, el.name).to.deep.equal([]);
  });

  it('answers named properties with 200 for known ones and 404 for the rest, 200 first', async () => {
    const res = await s.request('PROPFIND', '/docs/report.bin', {
      headers: { depth: '0' },
      body: propfindBody(['<D:getcontentlength/>', '<Z:nothing/>', '<D:displayname/>'], ' xmlns:Z="urn:x-test:"'),
    });
    const r = firstResponse(res.text);
    expect(r.propstats.map((p) => p.status)).to.deep.equal([200, 404]);
    expect(value(r, 'displayname')).to.equal('report.bin');
    expect(propOf(r, '{urn:x-test:}nothing')!.status).to.equal(404);
  });

  it('answers malformed XML bodies with 400', async () => {
    for (const bad of ['<D:propfind xmlns:D="DAV:"><D:prop>', '<propfind', '<D:propfind><D:prop/></D:propfind>', 'not xml at all']) {
      const res = await s.request('PROPFIND', '/docs/', { headers: { depth: '0' }, body: bad });
      expect(res.status, bad).to.equal(400);
    }
  });

  it('reports quota-used-bytes and quota-available-bytes from the account, following new uploads', async () => {
    const quotaProps = propfindBody(['<D:quota-available-bytes/>', '<D:quota-used-bytes/>']);
    const ask = async () => {
      const r = firstResponse((await s.request('PROPFIND', '/', { headers: { depth: '0' }, body: quotaProps })).text);
      return { used: Number(value(r, 'quota-used-bytes')), available: Number(value(r, 'quota-available-bytes')) };
    };
    const before = await ask();
    expect(before.used).to.equal(body.length);
    expect(before.available).to.equal(QUOTA - body.length);
    expect((await s.request('PUT', '/docs/more.bin', { body: bytes(70_000) })).status).to.equal(201);
    const after = await ask();
    expect(after.used).to.equal(body.length + 70_000);
    expect(after.available).to.equal(QUOTA - body.length - 70_000);
  });

  it('percent-encodes hrefs of names with spaces, reserved characters and non-ASCII', async () => {
    const dir = 'a dir & more';
    const name = 'r\u00e9sum\u00e9 #1 100% [x].txt';
    const enc = (n: string) => encodeURIComponent(n);
    expect((await s.request('MKCOL', `/${enc(dir)}/`)).status).to.equal(201);
    expect((await s.request('PUT', `/${enc(dir)}/${enc(name)}`, { body: 'hello' })).status).to.equal(201);
    expect(s.emu.entry(`/${dir}/${name}`)).to.not.equal(null);
    const res = await s.request('PROPFIND', `/${enc(dir)}/`, { headers: { depth: '1' } });
    const hrefs = parseMultistatus(res.text).map((r) => r.href);
    expect(hrefs).to.have.members([`/a%20dir%20%26%20more/`, `/a%20dir%20%26%20more/r%C3%A9sum%C3%A9%20%231%20100%25%20%5Bx%5D.txt`]);
    for (const href of hrefs) expect(href).to.match(/^[A-Za-z0-9%/._~!$'()*+,;=:@-]+$/);
    const file = at(
      parseMultistatus(res.text).filter((r) => !r.href.endsWith('/')),
      0,
      'the files listed',
    );
    expect(value(file, 'displayname')).to.equal(name);
  });
});
