// Windows Explorer (the WebClient mini-redirector) cannot run here, so its session is replayed with its
// headers and order (webdav-compat §3.2): OPTIONS on /, a new folder renamed, a copy as 0-byte PUT →
// LOCK without Depth → PUT with an untagged If → Win32 PROPPATCH → UNLOCK, a LOCK that creates a file,
// desktop.ini and Thumbs.db, a rename and a delete. TeraBox must end up with exactly the files.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';
import { MiB, md5 } from './tree.js';
import { davChildren, hrefOf } from './verify.js';
import { dav, header, lockBody, parseMultistatus, propfindBody, propOf, textOf, type DavResponse } from '../dav/client.js';

const UA = { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', translate: 'f' };
const MS = 'urn:schemas-microsoft-com:';
const WIN32_PROPS = {
  Win32CreationTime: 'Thu, 02 May 2024 08:00:00 GMT',
  Win32LastAccessTime: 'Fri, 03 May 2024 09:30:00 GMT',
  Win32LastModifiedTime: 'Fri, 03 May 2024 09:30:00 GMT',
  Win32FileAttributes: '00000020',
};

function win32Proppatch(): string {
  const props = Object.entries(WIN32_PROPS)
    .map(([k, v]) => `<Z:${k}>${v}</Z:${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="${MS}"><D:set><D:prop>${props}</D:prop></D:set></D:propertyupdate>`;
}

describe('Windows Explorer session (replayed) against the drive', () => {
  let rig: DriveRig;
  const report = randomBytes(6 * MiB + 7);
  const note = Buffer.from('written after a LOCK that created the file\r\n');

  const req = (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<DavResponse> =>
    dav(rig.origin, method, hrefOf(path) + (method === 'MKCOL' ? '/' : ''), { headers: { ...UA, ...headers }, body });

  /** Explorer's untagged If: the token alone, no resource tag. */
  const untaggedIf = (lockToken: string) => ({ if: `(${lockToken})` });

  before(async () => {
    rig = await startRig({ name: 'explorer' });
  });

  after(async () => {
    await rig?.close();
  });

  it('maps the drive: OPTIONS on / answers MS-Author-Via and class 2; PROPFIND / Depth 0 and 1 work', async () => {
    const options = await req('OPTIONS', '/');
    expect(options.status).to.equal(200);
    expect(header(options, 'ms-author-via')).to.equal('DAV');
    expect(header(options, 'dav')).to.match(/\b2\b/);
    expect((await req('PROPFIND', '/', { depth: '0' })).status).to.equal(207);
    expect((await req('PROPFIND', '/', { depth: '1' })).status).to.equal(207);
  });

  it('makes "New folder" with its Win32 properties and renames it; the properties follow', async () => {
    expect((await req('MKCOL', '/New folder')).status).to.equal(201);
    const patch = await req('PROPPATCH', '/New folder/', {}, win32Proppatch());
    expect(patch.status).to.equal(207);
    expect(parseMultistatus(patch.text)[0]!.propstats.map((p) => p.status)).to.deep.equal([200]);
    const moved = await req('MOVE', '/New folder/', { destination: `${rig.origin}${hrefOf('/Documents 2024')}/`, overwrite: 'F' });
    expect(moved.status).to.equal(201);
    expect((await rig.terabox.entry('/Documents 2024'))?.isDir).to.equal(true);
    expect(await rig.terabox.entry('/New folder')).to.equal(null);
    const found = await req('PROPFIND', '/Documents 2024/', { depth: '0' }, propfindBody(['<Z:Win32FileAttributes/>'], ` xmlns:Z="${MS}"`));
    expect(textOf(propOf(parseMultistatus(found.text)[0]!, `{${MS}}Win32FileAttributes`)!.el)).to.equal(WIN32_PROPS.Win32FileAttributes);
  });

  it('copies a 6 MiB file in: 0-byte PUT, LOCK without Depth, PUT with an untagged If, Win32 PROPPATCH, UNLOCK', async () => {
    const path = '/Documents 2024/Report Q1 #final.docx';
    expect((await req('PROPFIND', path, { depth: '0' })).status).to.equal(404);
    expect((await req('PUT', path, {}, '')).status).to.equal(201);
    const locked = await req('LOCK', path, { timeout: 'Second-3600' }, lockBody('exclusive', '<D:href>DESKTOP-7Q\\alice</D:href>'));
    expect(locked.status).to.equal(200);
    const token = header(locked, 'lock-token')!;
    const put = await req('PUT', path, { ...untaggedIf(token), 'content-length': String(report.length) }, report);
    expect(put.status, put.text).to.equal(204);
    const patch = await req('PROPPATCH', path, { ...untaggedIf(token), 'content-type': 'text/xml; charset="utf-8"' }, win32Proppatch());
    expect(patch.status).to.equal(207);
    expect(parseMultistatus(patch.text)[0]!.propstats.map((p) => p.status)).to.deep.equal([200]);
    expect((await req('UNLOCK', path, { 'lock-token': token })).status).to.equal(204);
    expect(await rig.terabox.md5(path)).to.equal(md5(report));
    expect((await rig.terabox.entry(path))?.size).to.equal(report.length);
  });

  it('creates a file with a LOCK on an unmapped URL (201), then fills it under the lock', async () => {
    const path = '/Documents 2024/New Text Document.txt';
    const locked = await req('LOCK', path, { timeout: 'Second-3600' }, lockBody('exclusive', '<D:href>DESKTOP-7Q\\alice</D:href>'));
    expect(locked.status).to.equal(201);
    const token = header(locked, 'lock-token')!;
    expect((await req('PUT', path, { ...untaggedIf(token) }, note)).status).to.be.oneOf([201, 204]);
    expect((await req('PROPPATCH', path, { ...untaggedIf(token) }, win32Proppatch())).status).to.equal(207);
    // Without the token the file is protected while the lock lasts.
    expect((await req('PUT', path, {}, 'someone else')).status).to.equal(423);
    expect((await req('UNLOCK', path, { 'lock-token': token })).status).to.equal(204);
    expect((await rig.terabox.read(path)).equals(note)).to.equal(true);
  });

  it('writes desktop.ini and Thumbs.db, which stay off TeraBox but read back through WebDAV', async () => {
    const ini = Buffer.from('[.ShellClassInfo]\r\nIconResource=C:\\Windows\\System32\\imageres.dll,-112\r\n');
    const thumbs = randomBytes(20_000);
    expect((await req('PUT', '/Documents 2024/desktop.ini', {}, ini)).status).to.equal(201);
    expect((await req('PUT', '/Documents 2024/Thumbs.db', {}, thumbs)).status).to.equal(201);
    expect((await req('GET', '/Documents 2024/desktop.ini')).body.equals(ini)).to.equal(true);
    expect((await req('GET', '/Documents 2024/Thumbs.db')).body.equals(thumbs)).to.equal(true);
    expect(await rig.terabox.entry('/Documents 2024/desktop.ini')).to.equal(null);
    expect(await rig.terabox.entry('/Documents 2024/Thumbs.db')).to.equal(null);
  });

  it('keeps the Win32 properties through a rename, and the renamed file has its bytes', async () => {
    const from = '/Documents 2024/Report Q1 #final.docx';
    const to = '/Documents 2024/Report Q1 (sent).docx';
    const moved = await req('MOVE', from, { destination: `${rig.origin}${hrefOf(to)}`, overwrite: 'F' });
    expect(moved.status).to.equal(201);
    const found = await req('PROPFIND', to, { depth: '0' }, propfindBody(Object.keys(WIN32_PROPS).map((k) => `<Z:${k}/>`), ` xmlns:Z="${MS}"`));
    const [r] = parseMultistatus(found.text);
    for (const [k, v] of Object.entries(WIN32_PROPS)) {
      const prop = propOf(r!, `{${MS}}${k}`);
      expect(prop?.status, k).to.equal(200);
      expect(textOf(prop!.el), k).to.equal(v);
    }
    expect(await rig.terabox.md5(to)).to.equal(md5(report));
    expect(await rig.terabox.entry(from)).to.equal(null);
  });

  it('lists exactly the folder as Explorer left it, with no lock left; TeraBox holds only the two documents', async () => {
    expect((await davChildren(rig, '/Documents 2024')).children).to.deep.equal([
      '/Documents 2024/New Text Document.txt',
      '/Documents 2024/Report Q1 (sent).docx',
      '/Documents 2024/Thumbs.db',
      '/Documents 2024/desktop.ini',
    ]);
    expect([...(await rig.terabox.tree()).keys()].sort()).to.deep.equal([
      '/Documents 2024',
      '/Documents 2024/New Text Document.txt',
      '/Documents 2024/Report Q1 (sent).docx',
    ]);
    const found = await req('PROPFIND', '/Documents 2024/', { depth: '1' }, propfindBody(['<D:lockdiscovery/>']));
    for (const r of parseMultistatus(found.text)) {
      const active = propOf(r, '{DAV:}lockdiscovery')?.el.children.filter((c) => typeof c !== 'string') ?? [];
      expect(active, r.href).to.deep.equal([]);
    }
  });

  it('deletes the folder: gone from TeraBox and from the overlay', async () => {
    expect((await req('DELETE', '/Documents 2024/')).status).to.equal(204);
    expect([...(await rig.terabox.tree()).keys()]).to.deep.equal([]);
    expect((await req('MKCOL', '/Documents 2024')).status).to.equal(201);
    expect((await davChildren(rig, '/Documents 2024')).children).to.deep.equal([]);
    expect((await req('GET', '/Documents 2024/desktop.ini')).status).to.equal(404);
  });

  it('left nothing behind: no lock, no dead property, no local file, no stray upload, no error in the server log', async () => {
    expect(await rig.spoolLeftovers()).to.deep.equal([]);
    expect(errorLines(rig)).to.deep.equal([]);
    expect(await rig.stopServe()).to.equal(0);
    expect(await rig.localState()).to.deep.equal({ overlayPaths: [], orphanContent: [], locks: [], propPaths: [] });
  });
});
