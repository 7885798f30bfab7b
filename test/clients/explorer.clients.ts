// Windows Explorer (the WebClient mini-redirector) cannot run here, so its session is replayed with its
// headers and order (webdav-compat §3.2): OPTIONS on /, a new folder renamed, a copy as 0-byte PUT →
// LOCK without Depth → PUT with an untagged If → Win32 PROPPATCH → UNLOCK, a LOCK that creates a file,
// desktop.ini and Thumbs.db, a rename and a delete. TeraBox must end up with exactly the files.
// Then the same kind of session on a drive with a user: the redirector's first OPTIONS carries no
// credentials (or stale ones) and must get 200, after which every request needs Basic credentials.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';
import { MiB, md5 } from './tree.js';
import { davChildren, hrefOf } from './verify.js';
import { dav, header, lockBody, parseMultistatus, propfindBody, propOf, textOf, type DavResponse, firstResponse } from '../dav/client.js';

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
    expect(firstResponse(patch.text).propstats.map((p) => p.status)).to.deep.equal([200]);
    const moved = await req('MOVE', '/New folder/', { destination: `${rig.origin}${hrefOf('/Documents 2024')}/`, overwrite: 'F' });
    expect(moved.status).to.equal(201);
    expect((await rig.terabox.entry('/Documents 2024'))?.isDir).to.equal(true);
    expect(await rig.terabox.entry('/New folder')).to.equal(null);
    const found = await req('PROPFIND', '/Documents 2024/', { depth: '0' }, propfindBody(['<Z:Win32FileAttributes/>'], ` xmlns:Z="${MS}"`));
    expect(textOf(propOf(firstResponse(found.text), `{${MS}}Win32FileAttributes`)!.el)).to.equal(WIN32_PROPS.Win32FileAttributes);
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
    expect(firstResponse(patch.text).propstats.map((p) => p.status)).to.deep.equal([200]);
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
    const found = await req(
      'PROPFIND',
      to,
      { depth: '0' },
      propfindBody(
        Object.keys(WIN32_PROPS).map((k) => `<Z:${k}/>`),
        ` xmlns:Z="${MS}"`,
      ),
    );
    const r = firstResponse(found.text);
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

/** Win32 properties Explorer asks for when it lists a folder or checks a file. */
const WIN32_PROPFIND = propfindBody(
  [
    '<D:getcontentlength/>',
    '<D:getlastmodified/>',
    '<D:creationdate/>',
    '<D:resourcetype/>',
    '<Z:Win32FileAttributes/>',
    '<Z:Win32LastModifiedTime/>',
  ],
  ` xmlns:Z="${MS}"`,
);

/** The PROPPATCH Explorer sends after writing a file's bytes. */
function win32TimesProppatch(modified: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="${MS}"><D:set><D:prop>` +
    `<Z:Win32LastModifiedTime>${modified}</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>` +
    '</D:prop></D:set></D:propertyupdate>'
  );
}

describe('Windows Explorer session (replayed) against a drive with a user', () => {
  let rig: DriveRig;
  const user = { name: 'alice', password: 'Ex:pl0rer/+é pass' };
  const WRONG = 'stale-password-from-last-week';
  /** Exactly the headers the redirector puts on every request (build 19041, Windows 10 2004). */
  const REDIR = { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19041', translate: 'f' };
  const basicOf = (name: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${name}:${password}`, 'utf8').toString('base64')}`,
  });

  before(async () => {
    // The rig hashes the password with the project's own hashPassword into serve's settings.
    rig = await startRig({ name: 'explorer-auth', user, publicUrl: 'https://files.example.com' });
  });

  after(async () => {
    await rig?.close();
  });

  interface Variant {
    /** The folder this run works in. */
    folder: string;
    /** Credentials on the first OPTIONS: none, as the redirector sends it, or stale ones. */
    firstOptions: Record<string, string>;
    /** The scheme and authority Destination headers carry (a reverse proxy's public name, or ours). */
    destinationOrigin: () => string;
  }

  /** One mapping and copy-in session, every status and what TeraBox stores checked. */
  async function session(v: Variant): Promise<void> {
    const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
      dav(rig.origin, method, hrefOf(path) + (method === 'MKCOL' ? '/' : ''), {
        headers: { ...REDIR, ...headers },
        body,
      });
    const req = (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
      send(method, path, { ...rig.auth, ...headers }, body);
    const capabilities = (r: DavResponse) => ({
      dav: header(r, 'dav'),
      msAuthorVia: header(r, 'ms-author-via'),
      allow: header(r, 'allow'),
    });

    // 1. The mapping starts with OPTIONS / and nothing else: no Authorization header.
    const first = await send('OPTIONS', '/', v.firstOptions);
    expect(first.status, 'first OPTIONS').to.equal(200);
    expect(header(first, 'ms-author-via')).to.equal('DAV');
    expect(header(first, 'dav')).to.equal('1, 2');
    expect(header(first, 'www-authenticate')).to.equal(undefined);
    expect(first.body.length).to.equal(0);
    const authedOptions = await req('OPTIONS', '/');
    expect(capabilities(first)).to.deep.equal(capabilities(authedOptions));

    // 2. PROPFIND without credentials → 401 with the Basic challenge only, then again with Basic.
    const challenged = await send('PROPFIND', '/', { depth: '0' });
    expect(challenged.status, 'PROPFIND without credentials').to.equal(401);
    expect(header(challenged, 'www-authenticate')).to.match(/^Basic realm="[^"]+", charset="UTF-8"$/);
    expect((await req('PROPFIND', '/', { depth: '0' })).status, 'PROPFIND with Basic').to.equal(207);
    const listing = await req('PROPFIND', '/', { depth: '1' }, WIN32_PROPFIND);
    expect(listing.status).to.equal(207);
    expect(parseMultistatus(listing.text).map((r) => r.href)).to.not.include(hrefOf(v.folder) + '/');

    // 3. A folder to copy into.
    expect((await req('MKCOL', v.folder)).status, 'MKCOL').to.equal(201);
    expect((await req('PROPFIND', v.folder + '/', { depth: '1' }, WIN32_PROPFIND)).status).to.equal(207);

    // 4. Copy-in of a 5 MiB file: probe, 0-byte PUT, LOCK, PUT with an untagged If, PROPPATCH, UNLOCK.
    const path = `${v.folder}/Budget 2025 #2.xlsx`;
    const bytes = randomBytes(5 * MiB);
    const modified = 'Tue, 04 Mar 2025 10:15:00 GMT';
    expect((await req('PROPFIND', path, { depth: '0' }, WIN32_PROPFIND)).status, 'probe').to.equal(404);
    expect((await req('PUT', path, { 'content-length': '0' }, '')).status, '0-byte PUT').to.equal(201);
    const copyIn = async (data: Buffer) => {
      const locked = await req('LOCK', path, { timeout: 'Second-3600' }, lockBody('exclusive', '<D:href>DESKTOP-7Q\\alice</D:href>'));
      expect(locked.status, 'LOCK').to.equal(200);
      const token = header(locked, 'lock-token')!;
      expect(token).to.match(/^<.+>$/);
      const put = await req('PUT', path, { if: `(${token})`, 'content-length': String(data.length) }, data);
      expect(put.status, `PUT with an untagged If: ${put.text}`).to.equal(204);
      const patch = await req(
        'PROPPATCH',
        path,
        { if: `(${token})`, 'content-type': 'text/xml; charset="utf-8"' },
        win32TimesProppatch(modified),
      );
      expect(patch.status, 'PROPPATCH').to.equal(207);
      expect(firstResponse(patch.text).propstats.map((p) => p.status)).to.deep.equal([200]);
      expect((await req('UNLOCK', path, { 'lock-token': token })).status, 'UNLOCK').to.equal(204);
      // What Explorer sends at once to check the copy ("file no longer available" when it fails).
      const check = await req('PROPFIND', path, { depth: '0' }, WIN32_PROPFIND);
      expect(check.status, 'PROPFIND after PUT').to.equal(207);
      const r = firstResponse(check.text);
      expect(textOf(propOf(r!, '{DAV:}getcontentlength')!.el)).to.equal(String(data.length));
      expect(textOf(propOf(r!, `{${MS}}Win32LastModifiedTime`)!.el)).to.equal(modified);
      const got = await req('GET', path);
      expect(got.status, 'GET after PUT').to.equal(200);
      expect(got.body.equals(data), 'GET bytes').to.equal(true);
      expect(await rig.terabox.md5(path)).to.equal(md5(data));
      expect((await rig.terabox.entry(path))?.size).to.equal(data.length);
    };
    await copyIn(bytes);

    // 5. Rename: MOVE with Destination (possibly the proxy's public name) and Overwrite: F.
    const renamed = `${v.folder}/Budget 2025 (final).xlsx`;
    const moved = await req('MOVE', path, { destination: `${v.destinationOrigin()}${hrefOf(renamed)}`, overwrite: 'F' });
    expect(moved.status, `MOVE rename: ${moved.text}`).to.equal(201);
    expect(await rig.terabox.entry(path)).to.equal(null);
    expect(await rig.terabox.md5(renamed)).to.equal(md5(bytes));
    const afterMove = await req('PROPFIND', renamed, { depth: '0' }, WIN32_PROPFIND);
    expect(afterMove.status).to.equal(207);
    expect(textOf(propOf(firstResponse(afterMove.text), `{${MS}}Win32LastModifiedTime`)!.el)).to.equal(modified);

    // 6. Overwrite: a new file copied in under the old name ("Replace the file"), as a MOVE with Overwrite: T.
    const draft = `${v.folder}/draft.xlsx`;
    const replacement = randomBytes(5 * MiB);
    expect((await req('PUT', draft, { 'content-length': '0' }, '')).status).to.equal(201);
    const draftLock = await req('LOCK', draft, { timeout: 'Second-3600' }, lockBody('exclusive', '<D:href>DESKTOP-7Q\\alice</D:href>'));
    expect(draftLock.status).to.equal(200);
    const draftToken = header(draftLock, 'lock-token')!;
    expect((await req('PUT', draft, { if: `(${draftToken})` }, replacement)).status).to.equal(204);
    expect((await req('UNLOCK', draft, { 'lock-token': draftToken })).status).to.equal(204);
    const replaced = await req('MOVE', draft, { destination: `${v.destinationOrigin()}${hrefOf(renamed)}`, overwrite: 'T' });
    expect(replaced.status, `MOVE over an existing file: ${replaced.text}`).to.equal(204);
    expect(await rig.terabox.entry(draft)).to.equal(null);
    expect(await rig.terabox.md5(renamed)).to.equal(md5(replacement));
    expect((await req('GET', renamed)).body.equals(replacement)).to.equal(true);
    // And an overwrite in place: the same name copied in again under a lock.
    const third = randomBytes(MiB + 3);
    const overPath = renamed;
    const overLock = await req('LOCK', overPath, { timeout: 'Second-3600' }, lockBody('exclusive', '<D:href>DESKTOP-7Q\\alice</D:href>'));
    expect(overLock.status).to.equal(200);
    const overToken = header(overLock, 'lock-token')!;
    expect((await req('PUT', overPath, { if: `(${overToken})` }, third)).status, 'PUT over').to.equal(204);
    expect((await req('UNLOCK', overPath, { 'lock-token': overToken })).status).to.equal(204);
    expect(await rig.terabox.md5(overPath)).to.equal(md5(third));

    // 7. Delete the file, then the folder.
    expect((await req('DELETE', renamed)).status, 'DELETE file').to.equal(204);
    expect(await rig.terabox.entry(renamed)).to.equal(null);
    expect((await req('DELETE', v.folder + '/')).status, 'DELETE folder').to.equal(204);
    expect(await rig.terabox.entry(v.folder)).to.equal(null);
    expect((await req('PROPFIND', v.folder + '/', { depth: '0' })).status).to.equal(404);
  }

  it('maps and copies in, renames, overwrites and deletes, starting from an OPTIONS without credentials', async () => {
    await session({ folder: '/Mapped', firstOptions: {}, destinationOrigin: () => rig.origin });
  });

  it("does the same behind a reverse proxy: Destination carries the proxy's https host name, not ours", async () => {
    // The proxy's name is server.publicUrl (see startRig above): a Destination naming it is this drive.
    await session({ folder: '/Proxied', firstOptions: {}, destinationOrigin: () => 'https://files.example.com' });
  });

  it('does the same when the first OPTIONS carries a stale (wrong) password', async () => {
    await session({ folder: '/Stale', firstOptions: basicOf(user.name, WRONG), destinationOrigin: () => rig.origin });
  });

  it('left TeraBox empty, no lock, no error, and no password in the server log', async () => {
    expect([...(await rig.terabox.tree()).keys()]).to.deep.equal([]);
    const log = JSON.stringify(rig.logLines());
    expect(log).to.not.include(WRONG);
    expect(log).to.not.include(user.password);
    expect(errorLines(rig)).to.deep.equal([]);
    expect(await rig.stopServe()).to.equal(0);
    expect((await rig.localState()).locks).to.deep.equal([]);
  });
});
