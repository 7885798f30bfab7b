import { expect } from 'chai';
import { startDav, type RunningDav } from './harness.js';
import { dav, header, raw } from './client.js';

describe('dav over HTTP: OPTIONS, MKCOL, PUT, GET, HEAD, DELETE', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav();
  });
  afterEach(async () => {
    await s.close();
  });

  it('answers OPTIONS on the root and on any path with DAV 1,2, MS-Author-Via and Allow', async () => {
    for (const path of ['/', '/missing/file']) {
      const res = await dav(s.origin, 'OPTIONS', path);
      expect(res.status, path).to.equal(200);
      expect(header(res, 'dav')).to.equal('1, 2');
      expect(header(res, 'ms-author-via')).to.equal('DAV');
      expect(header(res, 'allow')!.split(', ')).to.include.members(['PROPFIND', 'PUT', 'LOCK', 'UNLOCK', 'MOVE', 'COPY']);
    }
    const star = await raw(Number(new URL(s.url).port), 'OPTIONS * HTTP/1.1\nHost: 127.0.0.1\nConnection: close');
    expect(star.text).to.match(/^HTTP\/1\.1 200/);
    expect(star.text).to.match(/\r\nDAV: 1, 2\r\n/);
  });

  it('creates collections with MKCOL: 201, then 405 when it exists, 409 without a parent, 415 with a body', async () => {
    expect((await dav(s.origin, 'MKCOL', '/docs/')).status).to.equal(201);
    expect(s.drive.has('/docs')).to.equal(true);
    expect((await dav(s.origin, 'MKCOL', '/docs/')).status).to.equal(405);
    expect((await dav(s.origin, 'MKCOL', '/')).status).to.equal(405);
    expect((await dav(s.origin, 'MKCOL', '/nope/sub/')).status).to.equal(409);
    const withBody = await dav(s.origin, 'MKCOL', '/bodied/', { headers: { 'content-type': 'xzy-foo/bar-512' }, body: 'afafafaf' });
    expect(withBody.status).to.equal(415);
    expect(s.drive.has('/bodied')).to.equal(false);
  });

  it('stores PUT bodies byte for byte: 201 when new, 204 when replaced, each with the new ETag', async () => {
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 255));
    const created = await dav(s.origin, 'PUT', '/blob.bin', { body: bytes });
    expect(created.status).to.equal(201);
    const etag1 = header(created, 'etag');
    expect(s.drive.content('/blob.bin')!.equals(bytes)).to.equal(true);
    const replaced = await dav(s.origin, 'PUT', '/blob.bin', { body: 'short' });
    expect(replaced.status).to.equal(204);
    expect(header(replaced, 'etag')).to.be.a('string').and.not.equal(etag1);
    const got = await dav(s.origin, 'GET', '/blob.bin');
    expect(got.status).to.equal(200);
    expect(got.text).to.equal('short');
    expect(header(got, 'etag')).to.equal(header(replaced, 'etag'));
  });

  it('round-trips a UTF-8 name and percent-encoded specials', async () => {
    expect((await dav(s.origin, 'PUT', '/res-%e2%82%ac%20%23%25', { body: 'euro' })).status).to.equal(201);
    expect(s.drive.content('/res-€ #%')!.toString()).to.equal('euro');
    expect((await dav(s.origin, 'GET', '/res-%E2%82%AC%20%23%25')).text).to.equal('euro');
  });

  it('treats a file URL with a trailing slash as naming nothing: 404, and the file is untouched', async () => {
    expect((await dav(s.origin, 'PUT', '/f.txt', { body: 'keep me' })).status).to.equal(201);
    expect((await dav(s.origin, 'DELETE', '/f.txt/')).status).to.equal(404);
    expect((await dav(s.origin, 'PROPFIND', '/f.txt/', { headers: { depth: '0' } })).status).to.equal(404);
    expect(
      (
        await dav(s.origin, 'PROPPATCH', '/f.txt/', {
          body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:t">1</x></D:prop></D:set></D:propertyupdate>',
        })
      ).status,
    ).to.equal(404);
    expect((await dav(s.origin, 'MOVE', '/f.txt/', { headers: { destination: '/g.txt' } })).status).to.equal(404);
    expect((await dav(s.origin, 'COPY', '/f.txt/', { headers: { destination: '/g.txt' } })).status).to.equal(404);
    const lockBody = '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
    expect((await dav(s.origin, 'LOCK', '/f.txt/', { body: lockBody })).status).to.equal(409);
    expect((await dav(s.origin, 'LOCK', '/new-dir/', { body: lockBody })).status).to.equal(409);
    expect(s.drive.has('/new-dir')).to.equal(false);
    expect(s.drive.content('/f.txt')!.toString()).to.equal('keep me');
    expect(s.drive.has('/g.txt')).to.equal(false);
    expect((await dav(s.origin, 'GET', '/f.txt')).text).to.equal('keep me');
  });

  it('answers PUT with 409 when the parent is missing and 405 on a collection', async () => {
    expect((await dav(s.origin, 'PUT', '/409me/noparent.txt', { body: 'x' })).status).to.equal(409);
    s.drive.putFile('/file', 'f');
    expect((await dav(s.origin, 'PUT', '/file/child', { body: 'x' })).status).to.equal(409);
    await dav(s.origin, 'MKCOL', '/dir/');
    expect((await dav(s.origin, 'PUT', '/dir', { body: 'x' })).status).to.equal(405);
    expect(s.drive.writes).to.have.length(0);
  });

  it('refuses a PUT carrying Content-Range (partial PUT) with 400', async () => {
    const res = await dav(s.origin, 'PUT', '/part', { body: 'abc', headers: { 'content-range': 'bytes 0-2/10' } });
    expect(res.status).to.equal(400);
    expect(s.drive.has('/part')).to.equal(false);
  });

  it('gives HEAD the same validators and length as GET, and no body', async () => {
    await dav(s.origin, 'PUT', '/doc.txt', { body: 'hello world' });
    const head = await dav(s.origin, 'HEAD', '/doc.txt');
    const get = await dav(s.origin, 'GET', '/doc.txt');
    expect(head.status).to.equal(200);
    expect(head.body.length).to.equal(0);
    expect(header(head, 'content-length')).to.equal('11');
    for (const h of ['etag', 'last-modified', 'content-type']) expect(header(head, h), h).to.equal(header(get, h));
    expect(header(get, 'content-type')).to.match(/^text\/plain/);
    expect(new Date(header(get, 'last-modified')!).toUTCString()).to.equal(header(get, 'last-modified'));
    expect(s.drive.reads).to.have.length(1);
  });

  it('answers 404 for missing resources and for a file addressed as a collection', async () => {
    expect((await dav(s.origin, 'GET', '/missing')).status).to.equal(404);
    s.drive.putFile('/f.txt', 'x');
    expect((await dav(s.origin, 'GET', '/f.txt/')).status).to.equal(404);
  });

  it('serves a small HTML index for GET on a collection, with escaped names and encoded links', async () => {
    s.drive.putFile('/d/<b>&.txt', 'x');
    s.drive.putFile('/d/sub/inner', 'y');
    const res = await dav(s.origin, 'GET', '/d/');
    expect(res.status).to.equal(200);
    expect(header(res, 'content-type')).to.match(/^text\/html/);
    expect(res.text).to.include('href="/d/%3Cb%3E%26.txt"');
    expect(res.text).to.include('&#60;b&#62;&#38;.txt');
    expect(res.text).to.include('href="/d/sub/"');
    expect(res.text).to.not.include('inner');
  });

  it('deletes files and whole trees with 204, and 404 for what is not there', async () => {
    s.drive.putFile('/t/a/b/c.txt', 'c');
    s.drive.putFile('/t/top.txt', 't');
    expect((await dav(s.origin, 'DELETE', '/t/top.txt')).status).to.equal(204);
    expect(s.drive.has('/t/top.txt')).to.equal(false);
    expect((await dav(s.origin, 'DELETE', '/t/')).status).to.equal(204);
    expect(s.drive.has('/t/a/b/c.txt')).to.equal(false);
    expect(s.drive.has('/t')).to.equal(false);
    expect((await dav(s.origin, 'DELETE', '/t/')).status).to.equal(404);
  });

  it('refuses DELETE of the root and DELETE of a collection with Depth 0', async () => {
    expect((await dav(s.origin, 'DELETE', '/')).status).to.equal(403);
    s.drive.putFile('/keep/x', 'x');
    expect((await dav(s.origin, 'DELETE', '/keep/', { headers: { depth: '0' } })).status).to.equal(400);
    expect(s.drive.has('/keep/x')).to.equal(true);
  });

  it('answers 405 to POST and 501 to unknown methods, with Allow', async () => {
    const post = await dav(s.origin, 'POST', '/', { body: 'x' });
    expect(post.status).to.equal(405);
    expect(header(post, 'allow')).to.include('PROPFIND');
    // Methods Node's parser knows but WebDAV class 2 does not need.
    expect((await dav(s.origin, 'REPORT', '/')).status).to.equal(501);
    expect((await dav(s.origin, 'SEARCH', '/')).status).to.equal(501);
  });

  it('answers with a short plain-text message saying what went wrong', async () => {
    const res = await dav(s.origin, 'PUT', '/nope/x', { body: 'x' });
    expect(header(res, 'content-type')).to.match(/^text\/plain/);
    expect(res.text).to.match(/parent collection of \/nope\/x does not exist/);
  });
});
