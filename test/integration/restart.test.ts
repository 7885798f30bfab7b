// A restart of the drive on the same data dir (and the embedded emulator's data with it): files, folders,
// 0-byte and junk files, dead properties and locks all come back, with the same validators.

import { expect } from 'chai';
import { header, lockBody, parseMultistatus, propfindBody, propOf, textOf, firstResponse } from '../dav/client.js';
import { startStack, type Stack, bytes } from '../support/index.js';

describe('integration: restart on the same data dir', () => {
  let s: Stack;
  const big = bytes(400_000);
  let lockToken = '';
  const validators = new Map<string, { etag?: string; lastModified?: string }>();
  const served = ['/keep/big.bin', '/keep/empty.txt', '/keep/._big.bin', '/keep/sub/note.txt'];

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true });
    expect((await s.request('MKCOL', '/keep/')).status).to.equal(201);
    expect((await s.request('MKCOL', '/keep/sub/')).status).to.equal(201);
    expect((await s.request('PUT', '/keep/big.bin', { body: big })).status).to.equal(201);
    expect((await s.request('PUT', '/keep/empty.txt', { body: '' })).status).to.equal(201);
    expect((await s.request('PUT', '/keep/._big.bin', { body: 'resource fork' })).status).to.equal(201);
    expect((await s.request('PUT', '/keep/sub/note.txt', { body: 'note' })).status).to.equal(201);
    const patch = await s.request('PROPPATCH', '/keep/sub/note.txt', {
      body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:mood>calm</Z:mood></D:prop></D:set></D:propertyupdate>',
    });
    expect(patch.status).to.equal(207);
    const locked = await s.request('LOCK', '/keep/sub/', {
      headers: { timeout: 'Second-3600' },
      body: lockBody('exclusive', 'restart-test'),
    });
    expect(locked.status).to.equal(200);
    lockToken = header(locked, 'lock-token')!;
    for (const p of served) {
      const head = await s.request('HEAD', p);
      validators.set(p, { etag: header(head, 'etag'), lastModified: header(head, 'last-modified') });
    }
    await s.restart();
  });
  after(async () => {
    await s?.stop();
  });

  it('serves every file with the same bytes, ETag and Last-Modified as before', async () => {
    for (const p of served) {
      const get = await s.request('GET', p);
      expect(get.status, p).to.equal(200);
      expect({ etag: header(get, 'etag'), lastModified: header(get, 'last-modified') }, p).to.deep.equal(validators.get(p));
    }
    expect((await s.request('GET', '/keep/big.bin')).body.equals(big)).to.equal(true);
    expect((await s.request('GET', '/keep/empty.txt')).body.length).to.equal(0);
    expect((await s.request('GET', '/keep/._big.bin')).text).to.equal('resource fork');
    expect((await s.request('GET', '/keep/big.bin', { headers: { range: 'bytes=399990-' } })).body.equals(big.subarray(399_990))).to.equal(
      true,
    );
  });

  it('lists remote and local files together', async () => {
    const res = await s.request('PROPFIND', '/keep/', { headers: { depth: '1' } });
    expect(parseMultistatus(res.text).map((r) => r.href)).to.have.members([
      '/keep/',
      '/keep/big.bin',
      '/keep/empty.txt',
      '/keep/._big.bin',
      '/keep/sub/',
    ]);
  });

  it('still has the dead properties and the lock', async () => {
    const res = await s.request('PROPFIND', '/keep/sub/note.txt', {
      headers: { depth: '0' },
      body: propfindBody(['<Z:mood/>', '<D:lockdiscovery/>'], ' xmlns:Z="urn:z"'),
    });
    const r = firstResponse(res.text);
    expect(textOf(propOf(r, '{urn:z}mood')!.el)).to.equal('calm');
    expect(textOf(propOf(r, '{DAV:}lockdiscovery')!.el))
      .to.contain(lockToken.slice(1, -1))
      .and.contain('restart-test');
    expect((await s.request('PUT', '/keep/sub/other.txt', { body: 'x' })).status).to.equal(423);
    expect((await s.request('PUT', '/keep/sub/other.txt', { headers: { if: `(${lockToken})` }, body: 'x' })).status).to.equal(201);
    expect((await s.request('UNLOCK', '/keep/sub/', { headers: { 'lock-token': lockToken } })).status).to.equal(204);
  });

  it('keeps accepting writes after the restart', async () => {
    expect((await s.request('PUT', '/keep/empty.txt', { body: 'now with bytes' })).status).to.equal(204);
    expect((await s.emu.readFile('/keep/empty.txt')).toString()).to.equal('now with bytes');
    expect((await s.request('DELETE', '/keep/._big.bin')).status).to.equal(204);
    await s.restart();
    expect((await s.request('GET', '/keep/empty.txt')).text).to.equal('now with bytes');
    expect((await s.request('GET', '/keep/._big.bin')).status).to.equal(404);
  });
});
