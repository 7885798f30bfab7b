// macOS Finder cannot run here, so its session is replayed with its headers and order
// (webdav-compat §3.1): quota PROPFINDs, probe files, a new folder renamed, a copy as 0-byte PUT →
// LOCK → chunked PUT with X-Expected-Entity-Length → UNLOCK with its AppleDouble `._` companion and
// .DS_Store, concurrent ranged reads, a rename and a delete. TeraBox must end up with exactly the file.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';
import { MiB, md5 } from './tree.js';
import { davChildren, hrefOf } from './verify.js';
import { dav, header, lockBody, propfindBody, propOf, textOf, type DavResponse, firstResponse } from '../dav/client.js';

const UA = { 'user-agent': 'WebDAVFS/3.0.0 (03008000) Darwin/22.1.0 (x86_64)' };
const APPLE_OWNER = '<D:href>http://www.apple.com/webdav_fs/</D:href>';

/** Finder's body travels in chunks of its own choosing, with no Content-Length. */
function chunked(data: Buffer, chunk = 65_536): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunk) parts.push(data.subarray(at, at + chunk));
  return Readable.from(parts);
}

/** An AppleDouble header (magic 0x00051607, version 2) padded to Finder's usual 4 KiB. */
function appleDouble(): Buffer {
  const b = Buffer.alloc(4096);
  b.writeUInt32BE(0x00051607, 0);
  b.writeUInt32BE(0x00020000, 4);
  b.write('Mac OS X        ', 8, 'latin1');
  randomBytes(1024).copy(b, 1024);
  return b;
}

describe('Finder session (replayed) against the drive', () => {
  let rig: DriveRig;
  const photo = randomBytes(9 * MiB + 5);
  const sidecar = appleDouble();
  const dsStore = randomBytes(6148);

  const req = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string | Buffer | Readable,
  ): Promise<DavResponse> =>
    dav(rig.origin, method, hrefOf(path) + (method === 'MKCOL' ? '/' : ''), { headers: { ...UA, ...headers }, body });

  /** Finder's copy of one file: 0-byte PUT, LOCK, chunked PUT with the token, lock refresh, PROPFIND, UNLOCK. */
  async function finderCopy(path: string, data: Buffer): Promise<void> {
    expect((await req('PROPFIND', path, { depth: '0' }, propfindBody(['<D:getcontentlength/>']))).status).to.equal(404);
    expect((await req('PUT', path, { 'content-length': '0' }, '')).status).to.equal(201);
    const locked = await req(
      'LOCK',
      path,
      { depth: '0', timeout: 'Second-600', 'content-type': 'text/xml; charset="utf-8"' },
      lockBody('exclusive', APPLE_OWNER),
    );
    expect(locked.status).to.equal(200);
    const token = header(locked, 'lock-token')!;
    expect(token).to.match(/^<.+>$/);
    const put = await req('PUT', path, { 'x-expected-entity-length': String(data.length), if: `(${token})` }, chunked(data));
    expect(put.status, put.text).to.be.oneOf([200, 201, 204]);
    // Finder refreshes its lock while it works: LOCK with the token in If and no body, same token back.
    const refreshed = await req('LOCK', path, { timeout: 'Second-600', if: `(${token})` });
    expect(refreshed.status).to.equal(200);
    expect(refreshed.text).to.contain(token.slice(1, -1));
    const after = await req('PROPFIND', path, { depth: '0' }, propfindBody(['<D:getcontentlength/>', '<D:getlastmodified/>']));
    expect(textOf(propOf(firstResponse(after.text), '{DAV:}getcontentlength')!.el)).to.equal(String(data.length));
    // Reads of the locked file carry no token and must not wait for the lock.
    const read = await req('GET', path, { range: 'bytes=0-15' });
    expect(read.status).to.equal(206);
    expect(read.body.equals(data.subarray(0, 16))).to.equal(true);
    expect((await req('UNLOCK', path, { 'lock-token': token })).status).to.equal(204);
  }

  before(async () => {
    rig = await startRig({ name: 'finder' });
  });

  after(async () => {
    await rig?.close();
  });

  it('mounts: OPTIONS says class 2, the quota PROPFINDs on / give TeraBox numbers, probe files are 404', async () => {
    const options = await req('OPTIONS', '/');
    expect(header(options, 'dav')).to.match(/\b2\b/);
    const quota = propfindBody(['<D:quota-available-bytes/>', '<D:quota-used-bytes/>', '<D:quota/>', '<D:quotaused/>']);
    for (let i = 0; i < 3; i++) {
      const root = await req('PROPFIND', '/', { depth: '0' }, quota);
      expect(root.status).to.equal(207);
      const r = firstResponse(root.text);
      const q = await rig.terabox.quota();
      expect(textOf(propOf(r!, '{DAV:}quota-available-bytes')!.el)).to.equal(String(q.free));
      expect(textOf(propOf(r!, '{DAV:}quota-used-bytes')!.el)).to.equal(String(q.used));
    }
    for (const probe of ['/._.', '/.metadata_never_index', '/.ql_disablethumbnails', '/.localized', '/Backups.backupdb']) {
      expect((await req('PROPFIND', probe, { depth: '0' }, propfindBody(['<D:resourcetype/>']))).status, probe).to.equal(404);
    }
    expect((await req('PROPFIND', '/', { depth: '1' })).status).to.equal(207);
  });

  it('makes "untitled folder" and renames it, as Finder does for a new folder', async () => {
    expect((await req('MKCOL', '/untitled folder')).status).to.equal(201);
    const moved = await req('MOVE', '/untitled folder/', { destination: `${rig.origin}${hrefOf('/Pictures ü')}/`, overwrite: 'F' });
    expect(moved.status).to.equal(201);
    expect((await rig.terabox.entry('/Pictures ü'))?.isDir).to.equal(true);
    expect(await rig.terabox.entry('/untitled folder')).to.equal(null);
  });

  it('copies a 9 MiB photo with its AppleDouble ._ file and a .DS_Store: bytes on TeraBox, the junk only through WebDAV', async () => {
    await finderCopy('/Pictures ü/photo #1.jpg', photo);
    await finderCopy('/Pictures ü/._photo #1.jpg', sidecar);
    expect((await req('PUT', '/Pictures ü/.DS_Store', {}, chunked(dsStore))).status).to.equal(201);

    expect(await rig.terabox.md5('/Pictures ü/photo #1.jpg')).to.equal(md5(photo));
    const onTeraBox = [...(await rig.terabox.tree()).keys()].filter((p) => p.startsWith('/Pictures ü/'));
    expect(onTeraBox).to.deep.equal(['/Pictures ü/photo #1.jpg']);
    expect((await davChildren(rig, '/Pictures ü')).children).to.deep.equal([
      '/Pictures ü/.DS_Store',
      '/Pictures ü/._photo #1.jpg',
      '/Pictures ü/photo #1.jpg',
    ]);
    expect((await req('GET', '/Pictures ü/._photo #1.jpg')).body.equals(sidecar)).to.equal(true);
    expect((await req('GET', '/Pictures ü/.DS_Store')).body.equals(dsStore)).to.equal(true);
  });

  it('released every lock: no lockdiscovery left, and a write without a token succeeds', async () => {
    for (const path of ['/Pictures ü/photo #1.jpg', '/Pictures ü/._photo #1.jpg']) {
      const found = await req('PROPFIND', path, { depth: '0' }, propfindBody(['<D:lockdiscovery/>']));
      const lockdiscovery = propOf(firstResponse(found.text), '{DAV:}lockdiscovery');
      expect(lockdiscovery?.el.children.filter((c) => typeof c !== 'string') ?? [], path).to.deep.equal([]);
    }
    const relock = await req(
      'LOCK',
      '/Pictures ü/._photo #1.jpg',
      { depth: '0', timeout: 'Second-60' },
      lockBody('exclusive', 'another client'),
    );
    expect(relock.status).to.equal(200);
    expect((await req('UNLOCK', '/Pictures ü/._photo #1.jpg', { 'lock-token': header(relock, 'lock-token')! })).status).to.equal(204);
  });

  it('reads the photo back with concurrent ranged GETs, byte for byte', async () => {
    const step = Math.ceil(photo.length / 6);
    const ranges = Array.from({ length: 6 }, (_, i) => [i * step, Math.min(photo.length, (i + 1) * step) - 1] as const);
    const parts = await Promise.all(ranges.map(([from, to]) => req('GET', '/Pictures ü/photo #1.jpg', { range: `bytes=${from}-${to}` })));
    parts.forEach((p, i) => {
      expect(p.status).to.equal(206);
      expect(header(p, 'content-range')).to.equal(`bytes ${ranges[i]![0]}-${ranges[i]![1]}/${photo.length}`);
    });
    expect(md5(Buffer.concat(parts.map((p) => p.body)))).to.equal(md5(photo));
  });

  it('renames the photo and its ._ companion, then the folder (MOVE, Overwrite F), then deletes it leaving nothing behind', async () => {
    for (const [from, to] of [
      ['/Pictures ü/photo #1.jpg', '/Pictures ü/holiday & sea.jpg'],
      ['/Pictures ü/._photo #1.jpg', '/Pictures ü/._holiday & sea.jpg'],
    ] as const) {
      const moved = await req('MOVE', from, { destination: `${rig.origin}${hrefOf(to)}`, overwrite: 'F' });
      expect(moved.status, from).to.equal(201);
    }
    expect(await rig.terabox.md5('/Pictures ü/holiday & sea.jpg')).to.equal(md5(photo));
    expect((await req('GET', '/Pictures ü/._holiday & sea.jpg')).body.equals(sidecar)).to.equal(true);
    expect((await req('GET', '/Pictures ü/._photo #1.jpg')).status).to.equal(404);
    expect([...(await rig.terabox.tree()).keys()]).to.deep.equal(['/Pictures ü', '/Pictures ü/holiday & sea.jpg']);

    // Renaming the folder takes the junk kept outside TeraBox along.
    const renamed = await req('MOVE', '/Pictures ü/', { destination: `${rig.origin}${hrefOf('/Photos 2024')}/`, overwrite: 'F' });
    expect(renamed.status).to.equal(201);
    expect((await davChildren(rig, '/Photos 2024')).children).to.deep.equal([
      '/Photos 2024/.DS_Store',
      '/Photos 2024/._holiday & sea.jpg',
      '/Photos 2024/holiday & sea.jpg',
    ]);
    expect((await req('GET', '/Photos 2024/.DS_Store')).body.equals(dsStore)).to.equal(true);
    expect((await req('GET', '/Pictures ü/.DS_Store')).status).to.equal(404);
    expect([...(await rig.terabox.tree()).keys()]).to.deep.equal(['/Photos 2024', '/Photos 2024/holiday & sea.jpg']);

    expect((await req('DELETE', '/Photos 2024/')).status).to.equal(204);
    expect([...(await rig.terabox.tree()).keys()]).to.deep.equal([]);
    // A folder made again under the same name must come back empty: no junk survives in the overlay.
    expect((await req('MKCOL', '/Pictures ü')).status).to.equal(201);
    expect((await davChildren(rig, '/Pictures ü')).children).to.deep.equal([]);
    expect((await req('DELETE', '/Pictures ü/')).status).to.equal(204);
  });

  it('left nothing behind: no lock, no dead property, no local file, no stray upload, no error in the server log', async () => {
    expect(await rig.spoolLeftovers()).to.deep.equal([]);
    expect(errorLines(rig)).to.deep.equal([]);
    expect(await rig.stopServe()).to.equal(0);
    expect(await rig.localState()).to.deep.equal({ overlayPaths: [], orphanContent: [], locks: [], propPaths: [] });
  });
});
