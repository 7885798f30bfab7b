// LOCK and UNLOCK over the real drive: exclusive and shared locks, Depth 0 and infinity, Timeout and
// refresh, lock-null creation, 423 for writes without the token, tagged and untagged If (davfs2 and
// Windows), Finder's double PUT, and locks that survive a restart of the drive.

import { expect } from 'chai';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { header, lockBody, propfindBody, propOf, raw, statusesOf, textOf, firstResponse } from '../dav/client.js';
import { parseXml, findChild, type XmlElement } from '../../src/dav/xml.js';
import { startStack, type Stack, bytes } from '../support/index.js';

interface Locked {
  status: number;
  token: string;
  timeout: string;
  depth: string;
  scope: string;
}

function activeLock(xml: string): XmlElement {
  const prop = parseXml(Buffer.from(xml));
  return findChild(findChild(prop, 'DAV:', 'lockdiscovery')!, 'DAV:', 'activelock')!;
}

describe('integration: LOCK and UNLOCK', () => {
  let s: Stack;

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true });
  });
  after(async () => {
    await s?.stop();
  });

  async function lock(
    path: string,
    opts: { scope?: 'exclusive' | 'shared'; depth?: string; timeout?: string; headers?: Record<string, string> } = {},
  ): Promise<Locked> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.depth !== undefined) headers.depth = opts.depth;
    if (opts.timeout !== undefined) headers.timeout = opts.timeout;
    const res = await s.request('LOCK', path, { headers, body: lockBody(opts.scope ?? 'exclusive') });
    if (res.status !== 200 && res.status !== 201) return { status: res.status, token: '', timeout: '', depth: '', scope: '' };
    const active = activeLock(res.text);
    const token = header(res, 'lock-token')!;
    expect(token).to.match(/^<opaquelocktoken:[0-9a-f-]+>$/);
    expect(textOf(findChild(findChild(active, 'DAV:', 'locktoken')!, 'DAV:', 'href'))).to.equal(token.slice(1, -1));
    return {
      status: res.status,
      token: token.slice(1, -1),
      timeout: textOf(findChild(active, 'DAV:', 'timeout')),
      depth: textOf(findChild(active, 'DAV:', 'depth')),
      scope: findChild(active, 'DAV:', 'lockscope')!
        .children.map((c) => (typeof c === 'string' ? '' : c.name))
        .join(''),
    };
  }

  async function put(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<number> {
    return (await s.request('PUT', path, { headers, body })).status;
  }

  async function unlock(path: string, token: string): Promise<number> {
    return (await s.request('UNLOCK', path, { headers: { 'lock-token': `<${token}>` } })).status;
  }

  it('takes an exclusive lock (200, Lock-Token, lockdiscovery) and refuses writes without the token with 423', async () => {
    expect(await put('/ex.txt', 'v1')).to.equal(201);
    const l = await lock('/ex.txt', { timeout: 'Second-600' });
    expect(l).to.include({ status: 200, scope: 'exclusive', depth: 'infinity' });
    expect(l.timeout).to.match(/^Second-(599|600)$/);

    const refused = await s.request('PUT', '/ex.txt', { body: 'intruder' });
    expect(refused.status).to.equal(423);
    expect(refused.text).to.contain('lock-token-submitted');
    expect((await s.request('DELETE', '/ex.txt')).status).to.equal(423);
    // A client waiting for 100 Continue is refused before it sends the body.
    const early = await raw(s.port, 'PUT /ex.txt HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 5000\nExpect: 100-continue', {
      body: bytes(5000),
      waitForContinue: true,
      waitMs: 2000,
    });
    expect(statusesOf(early.text)).to.deep.equal([423]);
    expect((await s.request('MOVE', '/ex.txt', { headers: { destination: '/ex-moved.txt' } })).status).to.equal(423);
    expect(await put('/ex-src.txt', 'other')).to.equal(201);
    expect((await s.request('COPY', '/ex-src.txt', { headers: { destination: '/ex.txt' } })).status).to.equal(423);
    const patch = await s.request('PROPPATCH', '/ex.txt', {
      body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:x">1</x></D:prop></D:set></D:propertyupdate>',
    });
    expect(patch.status).to.equal(423);
    expect(await lock('/ex.txt')).to.include({ status: 423 });
    expect(await lock('/ex.txt', { scope: 'shared' })).to.include({ status: 423 });

    // Reads never need the token (Finder GETs and PROPFINDs locked files without it).
    expect((await s.request('GET', '/ex.txt')).text).to.equal('v1');
    expect((await s.request('PROPFIND', '/ex.txt', { headers: { depth: '0' } })).status).to.equal(207);
    expect((await s.emu.readFile('/ex.txt')).toString()).to.equal('v1');

    expect(await unlock('/ex.txt', l.token)).to.equal(204);
    expect(await put('/ex.txt', 'v2')).to.equal(204);
  });

  it('lets the owner write with a tagged If (davfs2) or an untagged If (Windows) and lists the lock in PROPFIND', async () => {
    expect(await put('/owner.txt', 'v1')).to.equal(201);
    const l = await lock('/owner.txt', { depth: '0', timeout: 'Second-1800' });
    expect(l.depth).to.equal('0');
    expect(await put('/owner.txt', 'v2', { if: `<${s.origin}/owner.txt> (<${l.token}>)` })).to.equal(204);
    expect(await put('/owner.txt', bytes(100_000), { if: `(<${l.token}>)` })).to.equal(204);
    expect(await put('/owner.txt', 'v4', { if: '(<opaquelocktoken:00000000-0000-0000-0000-000000000000>)' })).to.equal(412);

    const found = await s.request('PROPFIND', '/owner.txt', { headers: { depth: '0' }, body: propfindBody(['<D:lockdiscovery/>']) });
    const discovery = propOf(firstResponse(found.text), '{DAV:}lockdiscovery')!.el;
    const active = findChild(discovery, 'DAV:', 'activelock')!;
    expect(textOf(findChild(findChild(active, 'DAV:', 'lockroot')!, 'DAV:', 'href'))).to.equal('/owner.txt');
    expect(textOf(findChild(findChild(active, 'DAV:', 'locktoken')!, 'DAV:', 'href'))).to.equal(l.token);
    expect(await unlock('/owner.txt', l.token)).to.equal(204);
    expect(
      (await s.request('PROPFIND', '/owner.txt', { headers: { depth: '0' }, body: propfindBody(['<D:lockdiscovery/>']) })).text,
    ).to.not.contain(l.token);
  });

  it('replays a Windows Explorer save: LOCK without Depth, untagged If on PUT and Win32 PROPPATCH, UNLOCK', async () => {
    const ua = { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', translate: 'f' };
    expect((await s.request('MKCOL', '/Documents/', { headers: ua })).status).to.equal(201);
    expect((await s.request('PUT', '/Documents/report.docx', { headers: ua, body: '' })).status).to.equal(201);
    const l = await lock('/Documents/report.docx', { timeout: 'Second-3600', headers: ua });
    expect(l.status).to.equal(200);
    const ifHeader = { ...ua, if: `(<${l.token}>)` };
    const content = bytes(180_000);
    expect((await s.request('PUT', '/Documents/report.docx', { headers: ifHeader, body: content })).status).to.equal(204);
    const win32 =
      '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>' +
      '<Z:Win32CreationTime>Tue, 04 Jun 2024 10:00:00 GMT</Z:Win32CreationTime>' +
      '<Z:Win32LastModifiedTime>Tue, 04 Jun 2024 10:00:02 GMT</Z:Win32LastModifiedTime>' +
      '<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>' +
      '</D:prop></D:set></D:propertyupdate>';
    const patch = await s.request('PROPPATCH', '/Documents/report.docx', { headers: ifHeader, body: win32 });
    expect(patch.status).to.equal(207);
    expect(firstResponse(patch.text).propstats.map((p) => p.status)).to.deep.equal([200]);
    // Without the token the same PROPPATCH is refused.
    expect((await s.request('PROPPATCH', '/Documents/report.docx', { headers: ua, body: win32 })).status).to.equal(423);
    expect(await unlock('/Documents/report.docx', l.token)).to.equal(204);
    expect((await s.emu.readFile('/Documents/report.docx')).equals(content)).to.equal(true);
  });

  it('replays a Finder copy: empty PUT, LOCK, chunked PUT with X-Expected-Entity-Length and If, UNLOCK', async () => {
    const ua = { 'user-agent': 'WebDAVFS/3.0.0 (03008000) Darwin/21.6.0 (x86_64)' };
    const content = bytes(260_000);
    for (const name of ['photo.jpg', '._photo.jpg']) {
      expect((await s.request('PUT', `/${name}`, { headers: ua, body: '' })).status).to.equal(201);
      const l = await lock(`/${name}`, { depth: '0', timeout: 'Second-600', headers: ua });
      expect(l.status).to.equal(200);
      const res = await s.request('PUT', `/${name}`, {
        headers: { ...ua, 'x-expected-entity-length': String(content.length), if: `(<${l.token}>)` },
        body: Readable.from([content.subarray(0, 100_000), content.subarray(100_000)]),
      });
      expect(res.status).to.equal(204);
      expect(await unlock(`/${name}`, l.token)).to.equal(204);
      expect((await s.request('GET', `/${name}`)).body.equals(content)).to.equal(true);
    }
    expect((await s.emu.readFile('/photo.jpg')).equals(content)).to.equal(true);
    expect(s.emu.entry('/._photo.jpg')).to.equal(null);
  });

  it('shares shared locks, refuses an exclusive lock over them, and needs one of the tokens to write', async () => {
    expect(await put('/shared.txt', 's')).to.equal(201);
    const a = await lock('/shared.txt', { scope: 'shared', depth: '0' });
    const b = await lock('/shared.txt', { scope: 'shared', depth: '0' });
    expect([a.status, b.status]).to.deep.equal([200, 200]);
    expect(a.token).to.not.equal(b.token);
    expect(await lock('/shared.txt', { scope: 'exclusive' })).to.include({ status: 423 });
    expect(await put('/shared.txt', 'no token')).to.equal(423);
    expect(await put('/shared.txt', 'with b', { if: `(<${b.token}>)` })).to.equal(204);
    expect(await unlock('/shared.txt', a.token)).to.equal(204);
    expect(await put('/shared.txt', 'still b', { if: `(<${a.token}>)` })).to.equal(412);
    expect(await unlock('/shared.txt', b.token)).to.equal(204);
    expect(await put('/shared.txt', 'free')).to.equal(204);
  });

  it('protects a whole tree with Depth infinity and only the collection itself with Depth 0', async () => {
    expect((await s.request('MKCOL', '/deep/')).status).to.equal(201);
    expect(await put('/deep/member.txt', 'm')).to.equal(201);
    const l = await lock('/deep/', { depth: 'infinity' });
    expect(l.status).to.equal(200);
    expect(await put('/deep/member.txt', 'x')).to.equal(423);
    expect(await put('/deep/new.txt', 'x')).to.equal(423);
    expect((await s.request('DELETE', '/deep/member.txt')).status).to.equal(423);
    // neon submits the collection's token tagged with the collection URL.
    expect(await put('/deep/new.txt', 'ok', { if: `<${s.origin}/deep/> (<${l.token}>)` })).to.equal(201);
    expect(await put('/deep/member.txt', 'ok', { if: `(<${l.token}>)` })).to.equal(204);
    expect(await unlock('/deep/member.txt', l.token)).to.equal(204);

    const shallow = await lock('/deep/', { depth: '0' });
    expect(shallow.status).to.equal(200);
    expect(await put('/deep/member.txt', 'content of a member may change')).to.equal(204);
    expect(await put('/deep/added.txt', 'a new member changes the collection')).to.equal(423);
    expect(await unlock('/deep/', shallow.token)).to.equal(204);
  });

  it('honours Timeout, refreshes through If, and lets an expired lock go', async () => {
    expect(await put('/timed.txt', 't')).to.equal(201);
    const l = await lock('/timed.txt', { timeout: 'Second-2' });
    expect(l.timeout).to.match(/^Second-[12]$/);
    const refreshed = await s.request('LOCK', '/timed.txt', { headers: { timeout: 'Second-3600', if: `(<${l.token}>)` } });
    expect(refreshed.status).to.equal(200);
    expect(textOf(findChild(activeLock(refreshed.text), 'DAV:', 'timeout'))).to.match(/^Second-(3599|3600)$/);
    expect((await s.request('LOCK', '/timed.txt', { headers: { timeout: 'Second-5', if: '(<opaquelocktoken:bogus>)' } })).status).to.equal(
      412,
    );

    const infinite = await lock('/infinite.txt', { timeout: 'Infinite' });
    expect(infinite.status).to.equal(201);
    expect(infinite.timeout).to.match(/^Second-\d+$/);
    expect(Number(infinite.timeout.slice(7))).to.be.at.most(s.settings.server.lockMaxTimeoutSeconds);

    const brief = await lock('/brief.txt', { timeout: 'Second-1' });
    expect(brief.status).to.equal(201);
    expect(await put('/brief.txt', 'locked')).to.equal(423);
    await sleep(1200);
    expect(await put('/brief.txt', 'expired')).to.equal(204);
  });

  it('creates an empty resource when locking an unmapped URL (201), kept locally, filled by the lock owner', async () => {
    const l = await lock('/lock-null.txt', { depth: '0' });
    expect(l.status).to.equal(201);
    const got = await s.request('GET', '/lock-null.txt');
    expect(got.status).to.equal(200);
    expect(got.body.length).to.equal(0);
    expect(s.emu.entry('/lock-null.txt')).to.equal(null);
    expect(await put('/lock-null.txt', 'filled')).to.equal(423);
    expect(await put('/lock-null.txt', 'filled', { if: `(<${l.token}>)` })).to.equal(204);
    expect((await s.emu.readFile('/lock-null.txt')).toString()).to.equal('filled');
    expect((await s.request('LOCK', '/no-parent/x.txt', { body: lockBody('exclusive') })).status).to.equal(409);
    expect(await unlock('/lock-null.txt', l.token)).to.equal(204);
  });

  it('answers UNLOCK with a token of another resource or an unknown one with 409, and keeps the lock', async () => {
    expect(await put('/u1.txt', '1')).to.equal(201);
    expect(await put('/u2.txt', '2')).to.equal(201);
    const l = await lock('/u1.txt');
    expect(await unlock('/u2.txt', l.token)).to.equal(409);
    expect(await unlock('/u1.txt', 'opaquelocktoken:unknown')).to.equal(409);
    expect(await put('/u1.txt', 'x')).to.equal(423);
    expect(await unlock('/u1.txt', l.token)).to.equal(204);
  });

  it('drops locks of a deleted or moved resource, and does not carry them to a copy', async () => {
    expect(await put('/ld.txt', 'd')).to.equal(201);
    const l = await lock('/ld.txt');
    expect((await s.request('DELETE', '/ld.txt', { headers: { if: `(<${l.token}>)` } })).status).to.equal(204);
    expect(await put('/ld.txt', 'new, unlocked')).to.equal(201);

    expect(await put('/lm.txt', 'm')).to.equal(201);
    const m = await lock('/lm.txt');
    expect((await s.request('COPY', '/lm.txt', { headers: { destination: '/lm-copy.txt' } })).status).to.equal(201);
    expect(await put('/lm-copy.txt', 'copy is unlocked')).to.equal(204);
    expect((await s.request('MOVE', '/lm.txt', { headers: { destination: '/lm-moved.txt', if: `(<${m.token}>)` } })).status).to.equal(201);
    expect(await put('/lm-moved.txt', 'moved is unlocked')).to.equal(204);
    expect(await put('/lm.txt', 'source path is free')).to.equal(201);
  });

  it('keeps locks across a restart of the drive on the same data dir', async () => {
    expect(await put('/kept.txt', 'before')).to.equal(201);
    const l = await lock('/kept.txt', { timeout: 'Second-600' });
    await s.restart();
    expect(await put('/kept.txt', 'no token')).to.equal(423);
    expect(await put('/kept.txt', 'after', { if: `(<${l.token}>)` })).to.equal(204);
    expect((await s.request('GET', '/kept.txt')).text).to.equal('after');
    expect(await unlock('/kept.txt', l.token)).to.equal(204);
  });
});
