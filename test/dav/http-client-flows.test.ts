// Request sequences as the real clients send them (webdav-compat §3), replayed over HTTP.

import { expect } from 'chai';
import { Readable } from 'node:stream';
import { startDav, type RunningDav } from './harness.js';
import { MemoryDrive } from './memory-drive.js';
import { dav, header, lockBody, parseMultistatus, propfindBody, propOf, textOf, firstResponse } from './client.js';
import { at } from '../support/index.js';

describe('dav client flows', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav({ drive: new MemoryDrive({ capacity: 10_000_000 }) });
  });
  afterEach(async () => {
    await s.close();
  });

  it('Finder: quota PROPFINDs on the root, 0-byte PUT, LOCK, chunked PUT with X-Expected-Entity-Length, UNLOCK', async () => {
    const ua = { 'user-agent': 'WebDAVFS/3.0.0 (03008000) Darwin/21.6.0 (x86_64)' };
    expect((await dav(s.origin, 'OPTIONS', '/', { headers: ua })).status).to.equal(200);
    const quotaBody = propfindBody(['<D:quota-available-bytes/>', '<D:quota-used-bytes/>', '<D:quota/>', '<D:quotaused/>']);
    for (let i = 0; i < 3; i++) {
      const root = await dav(s.origin, 'PROPFIND', '/', { headers: { ...ua, depth: '0' }, body: quotaBody });
      const r = firstResponse(root.text);
      expect(at(r.propstats, 0).status).to.equal(200);
      expect(textOf(propOf(r, '{DAV:}quota-available-bytes')!.el)).to.equal('10000000');
    }
    const content = Buffer.alloc(300_000, 'f');
    for (const name of ['photo.jpg', '._photo.jpg']) {
      expect((await dav(s.origin, 'PUT', `/${name}`, { headers: ua, body: '' })).status).to.equal(201);
      const locked = await dav(s.origin, 'LOCK', `/${name}`, {
        headers: { ...ua, timeout: 'Second-600', depth: '0' },
        body: lockBody('exclusive', '<D:href>http://www.apple.com/webdav_fs/</D:href>'),
      });
      expect(locked.status).to.equal(200);
      const token = header(locked, 'lock-token')!;
      const put = await dav(s.origin, 'PUT', `/${name}`, {
        headers: { ...ua, 'x-expected-entity-length': String(content.length), if: `(${token})` },
        body: Readable.from([content.subarray(0, 100_000), content.subarray(100_000)]),
      });
      expect(put.status).to.equal(204);
      expect((await dav(s.origin, 'UNLOCK', `/${name}`, { headers: { ...ua, 'lock-token': token } })).status).to.equal(204);
      expect(s.drive.content(`/${name}`)!.equals(content)).to.equal(true);
    }
    expect(s.drive.writes.filter((w) => w.path === '/photo.jpg').map((w) => w.opts.sizeHint)).to.deep.equal([undefined, 300_000]);
  });

  it('Windows Explorer: OPTIONS on /, 0-byte PUT, LOCK without Depth, untagged If on PUT and PROPPATCH, UNLOCK', async () => {
    const ua = { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', translate: 'f' };
    const options = await dav(s.origin, 'OPTIONS', '/', { headers: ua });
    expect(header(options, 'ms-author-via')).to.equal('DAV');
    await dav(s.origin, 'MKCOL', '/Documents/', { headers: ua });
    expect((await dav(s.origin, 'PUT', '/Documents/report.docx', { headers: ua, body: '' })).status).to.equal(201);
    const locked = await dav(s.origin, 'LOCK', '/Documents/report.docx', {
      headers: { ...ua, timeout: 'Second-3600' },
      body: lockBody('exclusive', '<D:href>WORKSTATION\\user</D:href>'),
    });
    expect(locked.status).to.equal(200);
    const token = header(locked, 'lock-token')!.slice(1, -1);
    const ifHeader = { if: `(<${token}>)` };
    expect((await dav(s.origin, 'PUT', '/Documents/report.docx', { headers: { ...ua, ...ifHeader }, body: 'docx bytes' })).status).to.equal(
      204,
    );
    const patch = await dav(s.origin, 'PROPPATCH', '/Documents/report.docx', {
      headers: { ...ua, ...ifHeader },
      body:
        '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>' +
        '<Z:Win32CreationTime>Thu, 02 May 2024 08:00:00 GMT</Z:Win32CreationTime><Z:Win32LastAccessTime>Thu, 02 May 2024 08:00:00 GMT</Z:Win32LastAccessTime>' +
        '<Z:Win32LastModifiedTime>Thu, 02 May 2024 08:00:00 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>' +
        '</D:prop></D:set></D:propertyupdate>',
    });
    expect(patch.status).to.equal(207);
    expect(firstResponse(patch.text).propstats.map((p) => p.status)).to.deep.equal([200]);
    expect((await dav(s.origin, 'UNLOCK', '/Documents/report.docx', { headers: { ...ua, 'lock-token': `<${token}>` } })).status).to.equal(
      204,
    );
    expect(s.drive.content('/Documents/report.docx')!.toString()).to.equal('docx bytes');
  });

  it('davfs2: LOCK a new file (201), PUT with a tagged If, HEAD for ETag and Last-Modified, UNLOCK', async () => {
    const ua = { 'user-agent': 'davfs2/1.6.1 neon/0.32.5' };
    const locked = await dav(s.origin, 'LOCK', '/notes.txt', {
      headers: { ...ua, depth: '0', timeout: 'Second-1800' },
      body: lockBody('exclusive', 'davfs2'),
    });
    expect(locked.status).to.equal(201);
    const token = header(locked, 'lock-token')!;
    const put = await dav(s.origin, 'PUT', '/notes.txt', {
      headers: { ...ua, if: `<${s.origin}/notes.txt> (${token})` },
      body: 'edited in vim',
    });
    expect(put.status).to.equal(204);
    const head = await dav(s.origin, 'HEAD', '/notes.txt', { headers: ua });
    expect(header(head, 'etag')).to.equal(header(put, 'etag'));
    expect(header(head, 'last-modified')).to.match(/GMT$/);
    expect((await dav(s.origin, 'UNLOCK', '/notes.txt', { headers: { ...ua, 'lock-token': token } })).status).to.equal(204);
    expect(s.drive.content('/notes.txt')!.toString()).to.equal('edited in vim');
  });

  it('rclone: listing with 4 props, PUT then immediate PROPFIND, MKCOL parents, MOVE/COPY with Overwrite F, ranged GET, about', async () => {
    const ua = { 'user-agent': 'rclone/v1.60.1' };
    const four = propfindBody(['<D:displayname/>', '<D:getlastmodified/>', '<D:getcontentlength/>', '<D:resourcetype/>']);
    // Parents first: 409 means "create the parent", 405 means "exists".
    expect((await dav(s.origin, 'MKCOL', '/backup/2024/', { headers: ua })).status).to.equal(409);
    expect((await dav(s.origin, 'MKCOL', '/backup/', { headers: ua })).status).to.equal(201);
    expect((await dav(s.origin, 'MKCOL', '/backup/2024/', { headers: ua })).status).to.equal(201);
    expect((await dav(s.origin, 'MKCOL', '/backup/', { headers: ua })).status).to.equal(405);
    const data = Buffer.from('0123456789abcdefghij');
    expect((await dav(s.origin, 'PUT', '/backup/2024/file.bin', { headers: ua, body: data })).status).to.equal(201);
    const after = await dav(s.origin, 'PROPFIND', '/backup/2024/file.bin', { headers: { ...ua, depth: '0' }, body: four });
    expect(textOf(propOf(firstResponse(after.text), '{DAV:}getcontentlength')!.el)).to.equal('20');
    const listing = parseMultistatus((await dav(s.origin, 'PROPFIND', '/backup/', { headers: { ...ua, depth: '1' }, body: four })).text);
    expect(listing.map((r) => r.href)).to.deep.equal(['/backup/', '/backup/2024/']);
    expect(listing.every((r) => at(r.propstats, 0).status === 200)).to.equal(true);
    const copy = await dav(s.origin, 'COPY', '/backup/2024/file.bin', {
      headers: { ...ua, destination: `${s.origin}/backup/copy.bin`, overwrite: 'F' },
    });
    expect(copy.status).to.equal(201);
    const move = await dav(s.origin, 'MOVE', '/backup/2024/', {
      headers: { ...ua, destination: `${s.origin}/backup/2025/`, overwrite: 'F' },
    });
    expect(move.status).to.equal(201);
    const ranged = await dav(s.origin, 'GET', '/backup/2025/file.bin', { headers: { ...ua, range: 'bytes=5-9', depth: '0' } });
    expect(ranged.status).to.equal(206);
    expect(header(ranged, 'content-range')).to.equal('bytes 5-9/20');
    expect(ranged.text).to.equal('56789');
    const about = await dav(s.origin, 'PROPFIND', '/', {
      headers: { ...ua, depth: '0' },
      body: propfindBody(['<D:quota-available-bytes/>', '<D:quota-used-bytes/>']),
    });
    expect(textOf(propOf(firstResponse(about.text), '{DAV:}quota-used-bytes')!.el)).to.equal('40');
    expect((await dav(s.origin, 'DELETE', '/backup/', { headers: ua })).status).to.equal(204);
    expect(s.drive.has('/backup')).to.equal(false);
  });
});
