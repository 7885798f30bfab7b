import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword } from '../../src/util/password.js';
import { parseXml } from '../../src/dav/xml.js';
import { startDav, type RunningDav } from './harness.js';
import { dav, header, lockBody, parseMultistatus, propfindBody, propOf, textOf, type DavResponse, firstResponse } from './client.js';

function tokenOf(res: DavResponse): string {
  const h = header(res, 'lock-token');
  expect(h, 'Lock-Token header').to.match(/^<opaquelocktoken:[0-9a-f-]{36}>$/);
  return h!.slice(1, -1);
}

async function lock(
  s: RunningDav,
  path: string,
  opts: { scope?: 'exclusive' | 'shared'; depth?: string; timeout?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.depth !== undefined) headers.depth = opts.depth;
  if (opts.timeout !== undefined) headers.timeout = opts.timeout;
  return dav(s.origin, 'LOCK', path, { headers, body: lockBody(opts.scope ?? 'exclusive') });
}

describe('dav over HTTP: LOCK, UNLOCK and the If header', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav({ lockMaxTimeoutSeconds: 7200 });
    s.drive.putFile('/f.txt', 'locked content');
    s.drive.putFile('/coll/member.txt', 'm');
  });
  afterEach(async () => {
    await s.close();
  });

  it('grants an exclusive lock with a bracketed Lock-Token and an RFC-shaped lockdiscovery body', async () => {
    const res = await lock(s, '/f.txt', { timeout: 'Second-600', depth: '0' });
    expect(res.status).to.equal(200);
    const token = tokenOf(res);
    const prop = parseXml(res.body);
    expect([prop.ns, prop.name]).to.deep.equal(['DAV:', 'prop']);
    expect(res.text).to.include('<D:locktype><D:write/></D:locktype>');
    expect(res.text).to.include('<D:lockscope><D:exclusive/></D:lockscope>');
    expect(res.text).to.include('<D:depth>0</D:depth>');
    expect(res.text).to.include('<D:owner>tester</D:owner>');
    expect(res.text).to.match(/<D:timeout>Second-(600|599)<\/D:timeout>/);
    expect(res.text).to.include(`<D:locktoken><D:href>${token}</D:href></D:locktoken>`);
    expect(res.text).to.include('<D:lockroot><D:href>/f.txt</D:href></D:lockroot>');
  });

  it('honours Timeout (Windows sends Second-3600 and no Depth), caps it, and maps Infinite to the cap', async () => {
    const win = await lock(s, '/f.txt', { timeout: 'Second-3600', headers: { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045' } });
    expect(win.text).to.match(/Second-(3600|3599)</);
    expect(win.text).to.include('<D:depth>infinity</D:depth>');
    await dav(s.origin, 'UNLOCK', '/f.txt', { headers: { 'lock-token': header(win, 'lock-token')! } });
    expect((await lock(s, '/f.txt', { timeout: 'Second-99999999' })).text).to.match(/Second-(7200|7199)</);
  });

  it('refuses writes without the token with 423 naming the lock root, and allows reads', async () => {
    await lock(s, '/f.txt');
    const put = await dav(s.origin, 'PUT', '/f.txt', { body: 'overwrite' });
    expect(put.status).to.equal(423);
    expect(put.text).to.include('<D:lock-token-submitted><D:href>/f.txt</D:href></D:lock-token-submitted>');
    for (const [method, headers] of [
      ['DELETE', {}],
      ['MOVE', { destination: '/moved.txt' }],
      ['PROPPATCH', {}],
    ] as [string, Record<string, string>][]) {
      const body =
        method === 'PROPPATCH'
          ? '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>'
          : undefined;
      expect((await dav(s.origin, method, '/f.txt', { headers, body })).status, method).to.equal(423);
    }
    s.drive.putFile('/other.txt', 'o');
    expect((await dav(s.origin, 'COPY', '/other.txt', { headers: { destination: '/f.txt' } })).status).to.equal(423);
    expect(s.drive.content('/f.txt')!.toString()).to.equal('locked content');
    expect((await dav(s.origin, 'GET', '/f.txt')).status).to.equal(200);
    expect((await dav(s.origin, 'PROPFIND', '/f.txt', { headers: { depth: '0' } })).status).to.equal(207);
    expect((await dav(s.origin, 'COPY', '/f.txt', { headers: { destination: '/copy.txt' } })).status).to.equal(201);
  });

  it('accepts a Windows-style untagged If with the token on PUT', async () => {
    const token = tokenOf(await lock(s, '/f.txt', { timeout: 'Second-3600' }));
    const res = await dav(s.origin, 'PUT', '/f.txt', { headers: { if: `(<${token}>)` }, body: 'from explorer' });
    expect(res.status).to.equal(204);
    expect(s.drive.content('/f.txt')!.toString()).to.equal('from explorer');
  });

  it('accepts a davfs2/cadaver-style tagged If with the absolute URL', async () => {
    const token = tokenOf(await lock(s, '/f.txt', { depth: '0', timeout: 'Second-1800' }));
    const res = await dav(s.origin, 'PUT', '/f.txt', { headers: { if: `<${s.origin}/f.txt> (<${token}>)` }, body: 'from davfs2' });
    expect(res.status).to.equal(204);
    const head = await dav(s.origin, 'HEAD', '/f.txt');
    expect(header(head, 'etag')).to.equal(header(res, 'etag'));
    expect(header(head, 'last-modified')).to.be.a('string');
  });

  it('counts a token sent in Lock-Token on PUT (Office does that)', async () => {
    const lockToken = header(await lock(s, '/f.txt'), 'lock-token')!;
    expect((await dav(s.origin, 'PUT', '/f.txt', { headers: { 'lock-token': lockToken }, body: 'office' })).status).to.equal(204);
  });

  it('evaluates the If header: no-lock, Not, ETags, corrupted tokens', async () => {
    const token = tokenOf(await lock(s, '/f.txt'));
    const etag = header(await dav(s.origin, 'HEAD', '/f.txt'), 'etag')!;
    const put = (ifHeader: string) => dav(s.origin, 'PUT', '/f.txt', { headers: { if: ifHeader }, body: 'zero' });
    expect((await put(`(<${token}> [${etag}])`)).status).to.equal(204);
    const etag2 = header(await dav(s.origin, 'HEAD', '/f.txt'), 'etag')!;
    expect((await put(`(<DAV:no-lock> [${etag2}])`)).status).to.equal(412);
    expect((await put(`(<${token}>) (Not <DAV:no-lock>)`)).status).to.equal(204);
    // The If header holds through the second list, but no valid token was submitted.
    expect((await put(`(<${token}x>) (Not <DAV:no-lock>)`)).status).to.equal(423);
    expect((await put(`(<${token}> ["stale"]) (Not <DAV:no-lock> ["stale"])`)).status).to.equal(412);
    expect((await put('(<unclosed')).status).to.equal(400);
    expect((await put('(["x"]) <http://h/> (["y"])')).status).to.equal(400);
  });

  it('evaluates If on unlocked resources too: no-lock fails, Not no-lock and a matching ETag pass', async () => {
    s.drive.putFile('/free.txt', 'x');
    const etag = header(await dav(s.origin, 'HEAD', '/free.txt'), 'etag')!;
    const put = (ifHeader: string) => dav(s.origin, 'PUT', '/free.txt', { headers: { if: ifHeader }, body: 'y' });
    expect((await put('(<DAV:no-lock>)')).status).to.equal(412);
    expect((await put(`([${etag}])`)).status).to.equal(204);
    expect((await put(`([${etag}])`)).status).to.equal(412);
    expect((await put('(Not <DAV:no-lock>)')).status).to.equal(204);
    // An If header on GET is evaluated as well.
    expect((await dav(s.origin, 'GET', '/free.txt', { headers: { if: '(<DAV:no-lock>)' } })).status).to.equal(412);
  });

  it('refuses a second exclusive lock and an exclusive lock over shared ones with 423; shared locks coexist', async () => {
    await lock(s, '/f.txt');
    const again = await lock(s, '/f.txt');
    expect(again.status).to.equal(423);
    expect(again.text).to.include('no-conflicting-lock');
    const a = tokenOf(await lock(s, '/coll/member.txt', { scope: 'shared' }));
    const b = tokenOf(await lock(s, '/coll/member.txt', { scope: 'shared' }));
    expect(a).to.not.equal(b);
    expect((await lock(s, '/coll/member.txt', { scope: 'exclusive' })).status).to.equal(423);
    // A depth-infinity lock on the collection conflicts with the member's locks.
    expect((await lock(s, '/coll/', { scope: 'exclusive' })).status).to.equal(423);
    // Either shared token lets its holder write.
    expect((await dav(s.origin, 'PUT', '/coll/member.txt', { headers: { if: `(<${b}>)` }, body: 'b' })).status).to.equal(204);
    const discovery = await dav(s.origin, 'PROPFIND', '/coll/member.txt', {
      headers: { depth: '0' },
      body: propfindBody(['<D:lockdiscovery/>']),
    });
    expect(propOf(firstResponse(discovery.text), '{DAV:}lockdiscovery')!.el.children).to.have.length(2);
  });

  it('protects members with a depth-infinity collection lock; neon submits it tagged with the collection', async () => {
    const token = tokenOf(await lock(s, '/coll/'));
    expect((await dav(s.origin, 'PUT', '/coll/new.txt', { body: 'x' })).status).to.equal(423);
    expect((await dav(s.origin, 'PUT', '/coll/member.txt', { body: 'x' })).status).to.equal(423);
    expect((await dav(s.origin, 'MKCOL', '/coll/sub/')).status).to.equal(423);
    const tagged = { if: `<${s.origin}/coll/> (<${token}>)` };
    expect((await dav(s.origin, 'PUT', '/coll/new.txt', { headers: tagged, body: 'x' })).status).to.equal(201);
    expect((await dav(s.origin, 'PUT', '/coll/member.txt', { headers: tagged, body: 'y' })).status).to.equal(204);
    // DELETE of the locked collection itself needs the token too.
    expect((await dav(s.origin, 'DELETE', '/coll/')).status).to.equal(423);
    expect((await dav(s.origin, 'DELETE', '/coll/', { headers: { if: `(<${token}>)` } })).status).to.equal(204);
    expect(s.db.prepare('SELECT count(*) AS n FROM dav_locks').get()).to.deep.equal({ n: 0 });
  });

  it('guards only membership with a depth-0 collection lock', async () => {
    await lock(s, '/coll/', { depth: '0' });
    expect((await dav(s.origin, 'PUT', '/coll/member.txt', { body: 'changed' })).status).to.equal(204);
    expect((await dav(s.origin, 'PUT', '/coll/new.txt', { body: 'x' })).status).to.equal(423);
    expect((await dav(s.origin, 'DELETE', '/coll/member.txt')).status).to.equal(423);
  });

  it('refuses DELETE of a collection holding a locked member unless that token is submitted', async () => {
    const token = tokenOf(await lock(s, '/coll/member.txt'));
    const res = await dav(s.origin, 'DELETE', '/coll/');
    expect(res.status).to.equal(423);
    expect(res.text).to.include('/coll/member.txt');
    expect((await dav(s.origin, 'DELETE', '/coll/', { headers: { if: `</coll/member.txt> (<${token}>)` } })).status).to.equal(204);
  });

  it('refreshes a lock through If, directly and via a member of a locked collection', async () => {
    const token = tokenOf(await lock(s, '/coll/', { timeout: 'Second-100' }));
    const direct = await dav(s.origin, 'LOCK', '/coll/', { headers: { if: `(<${token}>)`, timeout: 'Second-5000' } });
    expect(direct.status).to.equal(200);
    expect(direct.text).to.match(/Second-(5000|4999)</);
    expect(direct.text).to.include(token);
    const indirect = await dav(s.origin, 'LOCK', '/coll/member.txt', {
      headers: { if: `<${s.origin}/coll/> (<${token}>)`, timeout: 'Second-300' },
    });
    expect(indirect.status).to.equal(200);
    expect(indirect.text).to.include('<D:lockroot><D:href>/coll/</D:href></D:lockroot>');
    expect((await dav(s.origin, 'LOCK', '/coll/')).status).to.equal(400);
    expect((await dav(s.origin, 'LOCK', '/f.txt', { headers: { if: `(<${token}>)` } })).status).to.equal(412);
  });

  it('creates an empty file for a LOCK on an unmapped URL (201), and 409 without a parent', async () => {
    const res = await lock(s, '/unmapped.txt');
    expect(res.status).to.equal(201);
    expect(s.drive.content('/unmapped.txt')!.length).to.equal(0);
    expect((await lock(s, '/no/parent.txt')).status).to.equal(409);
    expect(s.db.prepare("SELECT count(*) AS n FROM dav_locks WHERE root = '/no/parent.txt'").get()).to.deep.equal({ n: 0 });
  });

  it('unlocks with the token with or without angle brackets; bogus tokens get 409, a missing header 400', async () => {
    const t1 = tokenOf(await lock(s, '/f.txt'));
    expect((await dav(s.origin, 'UNLOCK', '/f.txt', { headers: { 'lock-token': `<${t1}>` } })).status).to.equal(204);
    const t2 = tokenOf(await lock(s, '/f.txt'));
    expect((await dav(s.origin, 'UNLOCK', '/f.txt', { headers: { 'lock-token': 'opaquelocktoken:foobar' } })).status).to.equal(409);
    expect((await dav(s.origin, 'UNLOCK', '/coll/member.txt', { headers: { 'lock-token': `<${t2}>` } })).status).to.equal(409);
    expect((await dav(s.origin, 'UNLOCK', '/f.txt')).status).to.equal(400);
    expect((await dav(s.origin, 'UNLOCK', '/f.txt', { headers: { 'lock-token': t2 } })).status).to.equal(204);
    expect((await dav(s.origin, 'PUT', '/f.txt', { body: 'free' })).status).to.equal(204);
  });

  it('answers 400 to a LOCK body that is not a lockinfo or asks Depth 1', async () => {
    expect((await dav(s.origin, 'LOCK', '/f.txt', { body: '<D:propfind xmlns:D="DAV:"/>' })).status).to.equal(400);
    expect(
      (await dav(s.origin, 'LOCK', '/f.txt', { body: '<D:lockinfo xmlns:D="DAV:"><D:locktype><D:write/></D:locktype></D:lockinfo>' }))
        .status,
    ).to.equal(400);
    expect((await lock(s, '/coll/', { depth: '1' })).status).to.equal(400);
  });

  it('shows locks in PROPFIND lockdiscovery with timeouts in seconds', async () => {
    const token = tokenOf(await lock(s, '/coll/', { timeout: 'Second-3600' }));
    const res = await dav(s.origin, 'PROPFIND', '/coll/', { headers: { depth: '1' }, body: propfindBody(['<D:lockdiscovery/>']) });
    const responses = parseMultistatus(res.text);
    expect(responses).to.have.length(2);
    for (const r of responses) {
      const discovery = propOf(r, '{DAV:}lockdiscovery')!.el;
      expect(textOf(discovery)).to.include(token);
      expect(textOf(discovery)).to.match(/Second-(3600|3599)/);
    }
  });

  it('does not copy locks, drops the source lock on MOVE and the lock on DELETE', async () => {
    const token = tokenOf(await lock(s, '/f.txt'));
    await dav(s.origin, 'COPY', '/f.txt', { headers: { destination: '/copy.txt' } });
    expect((await dav(s.origin, 'PUT', '/copy.txt', { body: 'free' })).status).to.equal(204);
    expect((await dav(s.origin, 'MOVE', '/f.txt', { headers: { destination: '/moved.txt', if: `(<${token}>)` } })).status).to.equal(201);
    expect((await dav(s.origin, 'PUT', '/moved.txt', { body: 'free' })).status).to.equal(204);
    expect(s.db.prepare('SELECT count(*) AS n FROM dav_locks').get()).to.deep.equal({ n: 0 });
  });

  it('keeps locks across a restart on the same database file', async () => {
    const token = tokenOf(await lock(s, '/f.txt'));
    await s.stop();
    const again = await startDav({ drive: s.drive, dbPath: s.dbPath });
    try {
      expect((await dav(again.origin, 'PUT', '/f.txt', { body: 'x' })).status).to.equal(423);
      expect((await dav(again.origin, 'PUT', '/f.txt', { headers: { if: `(<${token}>)` }, body: 'x' })).status).to.equal(204);
    } finally {
      await again.close();
    }
  });

  it('lets a lock expire after its timeout', async () => {
    await s.close();
    s = await startDav({ lockMaxTimeoutSeconds: 1 });
    s.drive.putFile('/f.txt', 'x');
    await lock(s, '/f.txt', { timeout: 'Infinite' });
    expect((await dav(s.origin, 'PUT', '/f.txt', { body: 'y' })).status).to.equal(423);
    await sleep(1100);
    expect((await dav(s.origin, 'PUT', '/f.txt', { body: 'y' })).status).to.equal(204);
  });
});

describe('dav over HTTP: locks belong to the user who took them', () => {
  let s: RunningDav;
  const auth = (user: string) => 'Basic ' + Buffer.from(`${user}:pw-${user}`).toString('base64');
  before(async () => {
    s = await startDav({
      users: [
        { name: 'alice', passwordHash: await hashPassword('pw-alice') },
        { name: 'bob', passwordHash: await hashPassword('pw-bob') },
      ],
      allowAnonymous: false,
    });
    s.drive.putFile('/shared.txt', 'x');
  });
  after(async () => {
    await s.close();
  });

  it("refuses another user's token for writes and UNLOCK", async () => {
    const res = await dav(s.origin, 'LOCK', '/shared.txt', { headers: { authorization: auth('alice') }, body: lockBody('exclusive') });
    const token = tokenOf(res);
    const asBob = { authorization: auth('bob'), if: `(<${token}>)` };
    expect((await dav(s.origin, 'PUT', '/shared.txt', { headers: asBob, body: 'bob' })).status).to.equal(423);
    expect(
      (await dav(s.origin, 'UNLOCK', '/shared.txt', { headers: { authorization: auth('bob'), 'lock-token': `<${token}>` } })).status,
    ).to.equal(403);
    const asAlice = { authorization: auth('alice'), if: `(<${token}>)` };
    expect((await dav(s.origin, 'PUT', '/shared.txt', { headers: asAlice, body: 'alice' })).status).to.equal(204);
    expect(
      (await dav(s.origin, 'UNLOCK', '/shared.txt', { headers: { authorization: auth('alice'), 'lock-token': `<${token}>` } })).status,
    ).to.equal(204);
  });
});
