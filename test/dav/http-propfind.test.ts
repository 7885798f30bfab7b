import { expect } from 'chai';
import Database from 'better-sqlite3';
import { SqliteLockStore } from '../../src/dav/locks.js';
import { startDav, type RunningDav } from './harness.js';
import { MemoryDrive } from './memory-drive.js';
import { dav, header, parseMultistatus, propfindBody, propOf, textOf, firstResponse } from './client.js';
import { at } from '../support/index.js';

const D = '{DAV:}';

describe('dav over HTTP: PROPFIND', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav({ drive: new MemoryDrive({ capacity: 1_000_000 }) });
    s.drive.putFile('/dir/a file.txt', 'hello');
    s.drive.putFile('/dir/sub/deep.bin', Buffer.alloc(10));
    s.drive.putFile('/dir/€#?.txt', 'x');
  });
  afterEach(async () => {
    await s.close();
  });

  it('answers Depth 1 with the collection and its members only, hrefs encoded and collections ending in /', async () => {
    const res = await dav(s.origin, 'PROPFIND', '/dir/', { headers: { depth: '1' } });
    expect(res.status).to.equal(207);
    expect(header(res, 'content-type')).to.match(/^application\/xml/);
    const hrefs = parseMultistatus(res.text).map((r) => r.href);
    expect(hrefs).to.have.members(['/dir/', '/dir/a%20file.txt', '/dir/sub/', '/dir/%E2%82%AC%23%3F.txt']);
    expect(hrefs[0]).to.equal('/dir/');
  });

  it('answers a whole Depth 1 listing from one drive listing', async () => {
    s.drive.calls.length = 0;
    await dav(s.origin, 'PROPFIND', '/dir', { headers: { depth: '1' } });
    expect(s.drive.calls.filter((c) => c === 'list')).to.have.length(1);
    expect(s.drive.calls.filter((c) => c === 'stat')).to.have.length(1);
  });

  it('returns the live properties for allprop (and for an empty body), RFC 1123 dates and ISO creation dates', async () => {
    for (const body of [undefined, '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>']) {
      const res = await dav(s.origin, 'PROPFIND', '/dir/a%20file.txt', { headers: { depth: '0' }, body });
      const r = firstResponse(res.text);
      expect(r.propstats.map((p) => p.status)).to.deep.equal([200]);
      expect(textOf(propOf(r, `${D}getcontentlength`)!.el)).to.equal('5');
      expect(textOf(propOf(r, `${D}displayname`)!.el)).to.equal('a file.txt');
      expect(textOf(propOf(r, `${D}getcontenttype`)!.el)).to.equal('text/plain');
      expect(textOf(propOf(r, `${D}getetag`)!.el)).to.match(/^"[^"]+"$/);
      const modified = textOf(propOf(r, `${D}getlastmodified`)!.el);
      expect(new Date(modified).toUTCString()).to.equal(modified);
      expect(textOf(propOf(r, `${D}creationdate`)!.el)).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(propOf(r, `${D}supportedlock`)!.el.children).to.have.length(2);
      expect(propOf(r, `${D}resourcetype`)!.el.children).to.deep.equal([]);
      // RFC 4331: quota properties are not part of allprop.
      expect(propOf(r, `${D}quota-available-bytes`)).to.equal(undefined);
    }
  });

  it('looks up locks only for the resources whose lockdiscovery is asked for', async () => {
    await s.close();
    const drive = new MemoryDrive();
    for (let i = 0; i < 20; i++) drive.putFile(`/many/f${i}.txt`, 'x');
    const db = new Database(':memory:');
    const store = new SqliteLockStore(db);
    let lookups = 0;
    const covering = store.covering.bind(store);
    store.covering = (path) => {
      lookups++;
      return covering(path);
    };
    s = await startDav({ drive, lockStore: store });
    try {
      // rclone's listing: four properties, none of them about locks.
      const rclone = propfindBody(['<D:displayname/>', '<D:getlastmodified/>', '<D:getcontentlength/>', '<D:resourcetype/>']);
      expect((await dav(s.origin, 'PROPFIND', '/many/', { headers: { depth: '1' }, body: rclone })).status).to.equal(207);
      expect(lookups).to.equal(0);
      const res = await dav(s.origin, 'PROPFIND', '/many/', { headers: { depth: '1' }, body: propfindBody(['<D:lockdiscovery/>']) });
      expect(parseMultistatus(res.text)).to.have.length(21);
      expect(lookups).to.equal(21);
    } finally {
      db.close();
    }
  });

  it('marks collections with DAV:collection and gives them no content length', async () => {
    const res = await dav(s.origin, 'PROPFIND', '/dir/sub/', {
      headers: { depth: '0' },
      body: propfindBody(['<D:resourcetype/>', '<D:getcontentlength/>']),
    });
    const r = firstResponse(res.text);
    const type = propOf(r, `${D}resourcetype`)!;
    expect(type.status).to.equal(200);
    expect(type.el.children.map((c) => (typeof c === 'string' ? c : c.name))).to.deep.equal(['collection']);
    expect(propOf(r, `${D}getcontentlength`)!.status).to.equal(404);
  });

  it('answers rclone: the 200 propstat first, unknown properties in a 404 after it', async () => {
    const body = propfindBody([
      '<x:missing xmlns:x="urn:x"/>',
      '<D:displayname/>',
      '<D:getlastmodified/>',
      '<D:getcontentlength/>',
      '<D:resourcetype/>',
    ]);
    const res = await dav(s.origin, 'PROPFIND', '/dir/', { headers: { depth: '1' }, body });
    for (const r of parseMultistatus(res.text)) {
      expect(at(r.propstats, 0).status, r.href).to.equal(200);
      expect(r.propstats.at(-1)!.props.has('{urn:x}missing')).to.equal(true);
    }
  });

  it('serves the RFC 4331 quota properties when asked by name', async () => {
    const res = await dav(s.origin, 'PROPFIND', '/', {
      headers: { depth: '0' },
      body: propfindBody(['<D:quota-available-bytes/>', '<D:quota-used-bytes/>']),
    });
    const r = firstResponse(res.text);
    expect(textOf(propOf(r, `${D}quota-used-bytes`)!.el)).to.equal('16');
    expect(textOf(propOf(r, `${D}quota-available-bytes`)!.el)).to.equal(String(1_000_000 - 16));
  });

  it('reports quota properties under the drive error status when the quota lookup fails', async () => {
    s.drive.failNext('quota', 'UNAVAILABLE');
    const res = await dav(s.origin, 'PROPFIND', '/', {
      headers: { depth: '0' },
      body: propfindBody(['<D:quota-used-bytes/>', '<D:displayname/>']),
    });
    const r = firstResponse(res.text);
    expect(propOf(r, `${D}displayname`)!.status).to.equal(200);
    expect(propOf(r, `${D}quota-used-bytes`)!.status).to.equal(503);
  });

  it('lists property names for propname, dead properties included', async () => {
    await dav(s.origin, 'PROPPATCH', '/dir/a%20file.txt', {
      body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><z:tag xmlns:z="urn:z">v</z:tag></D:prop></D:set></D:propertyupdate>',
    });
    const res = await dav(s.origin, 'PROPFIND', '/dir/a%20file.txt', {
      headers: { depth: '0' },
      body: '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>',
    });
    const r = firstResponse(res.text);
    const names = [...at(r.propstats, 0).props.keys()];
    expect(names).to.include.members([`${D}getetag`, `${D}resourcetype`, `${D}lockdiscovery`, '{urn:z}tag']);
    expect(at(r.propstats, 0).props.get('{urn:z}tag')!.children).to.deep.equal([]);
  });

  it('adds include-d properties to allprop', async () => {
    const res = await dav(s.origin, 'PROPFIND', '/', {
      headers: { depth: '0' },
      body: '<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:quota-used-bytes/></D:include></D:propfind>',
    });
    const r = firstResponse(res.text);
    expect(propOf(r, `${D}quota-used-bytes`)!.status).to.equal(200);
    expect(propOf(r, `${D}getetag`)!.status).to.equal(200);
  });

  it('answers Depth infinity (and a missing Depth) with the whole tree, streamed', async () => {
    const all = ['/', '/dir', '/dir/a file.txt', '/dir/sub', '/dir/sub/deep.bin', '/dir/€#?.txt'].sort();
    for (const headers of [{ depth: 'infinity' }, {}] as Record<string, string>[]) {
      const res = await dav(s.origin, 'PROPFIND', '/', { headers });
      expect(res.status).to.equal(207);
      expect(res.headers['content-length']).to.equal(undefined);
      const hrefs = parseMultistatus(res.text).map((r) => decodeURIComponent(r.href).replace(/(.)\/$/, '$1'));
      expect(hrefs.sort()).to.deep.equal(all);
    }
    expect((await dav(s.origin, 'PROPFIND', '/', { headers: { depth: '2' } })).status).to.equal(400);
  });

  it('refuses Depth infinity over propfindMaxEntries with 403 DAV:propfind-finite-depth', async () => {
    const count = 6;
    await s.close();
    const drive = s.drive;
    s = await startDav({ drive, propfindMaxEntries: count - 1 });
    const res = await dav(s.origin, 'PROPFIND', '/', { headers: { depth: 'infinity' } });
    expect(res.status).to.equal(403);
    expect(res.text).to.include('<D:propfind-finite-depth/>');
    await s.close();
    s = await startDav({ drive, propfindMaxEntries: count });
    expect((await dav(s.origin, 'PROPFIND', '/', { headers: { depth: 'infinity' } })).status).to.equal(207);
  });

  it('answers 400 to malformed XML and to a body that is not a propfind', async () => {
    const bodies = [
      '<foo>',
      '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>',
      '<D:lockinfo xmlns:D="DAV:"/>',
    ];
    for (const body of bodies) {
      expect((await dav(s.origin, 'PROPFIND', '/', { headers: { depth: '0' }, body })).status, body).to.equal(400);
    }
  });

  it('reads a chunked PROPFIND body (it asks for quota, not allprop)', async () => {
    const { Readable } = await import('node:stream');
    const res = await dav(s.origin, 'PROPFIND', '/', {
      headers: { depth: '0' },
      body: Readable.from([Buffer.from(propfindBody(['<D:quota-used-bytes/>']))]),
    });
    const r = firstResponse(res.text);
    expect([...at(r.propstats, 0).props.keys()]).to.deep.equal([`${D}quota-used-bytes`]);
  });

  it('answers 404 for a missing resource', async () => {
    expect((await dav(s.origin, 'PROPFIND', '/nothing', { headers: { depth: '0' } })).status).to.equal(404);
  });

  it('shows the new size at once after a PUT (read-after-write)', async () => {
    await dav(s.origin, 'PUT', '/dir/a%20file.txt', { body: 'much longer content' });
    const res = await dav(s.origin, 'PROPFIND', '/dir/a%20file.txt', {
      headers: { depth: '0' },
      body: propfindBody(['<D:getcontentlength/>']),
    });
    expect(textOf(propOf(firstResponse(res.text), `${D}getcontentlength`)!.el)).to.equal('19');
  });
});
