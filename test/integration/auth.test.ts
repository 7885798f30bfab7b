// Basic authentication with users from the settings, locks bound to the user who took them, and the
// read-only switch, over the real drive.

import { expect } from 'chai';
import { header, lockBody } from '../dav/client.js';
import { hashPassword } from '../../src/util/password.js';
import { startStack, type Stack } from '../support/index.js';

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

describe('integration: authentication and read-only', () => {
  describe('with users', () => {
    let s: Stack;
    const alice = basic('alice', 'wonder:land/+é');
    const bob = basic('bob', 'builder');

    before(async () => {
      const users = [
        { name: 'alice', passwordHash: await hashPassword('wonder:land/+é') },
        { name: 'bob', passwordHash: await hashPassword('builder') },
      ];
      s = await startStack({ upTo: 'webdav', smallParts: true, configure: (c) => (c.server.users = users) });
    });
    after(async () => {
      await s?.stop();
    });

    it('answers 401 with a Basic challenge without credentials, with a wrong password and for an unknown user', async () => {
      for (const headers of [
        {},
        basic('alice', 'wrong'),
        basic('mallory', 'builder'),
        { authorization: 'Basic !!!' },
        { authorization: 'Bearer x' },
      ]) {
        const res = await s.request('PROPFIND', '/', { headers: { ...headers, depth: '0' } });
        expect(res.status).to.equal(401);
        expect(header(res, 'www-authenticate')).to.match(/^Basic realm="[^"]+"/);
      }
      const put = await s.request('PUT', '/sneaky.txt', { body: 'x' });
      expect(put.status).to.equal(401);
      expect(s.emu.entry('/sneaky.txt')).to.equal(null);
    });

    it('answers OPTIONS without credentials or with wrong ones alike on an existing and a missing path, asking TeraBox nothing', async () => {
      expect((await s.request('PUT', '/exists.txt', { headers: alice, body: 'here' })).status).to.equal(201);
      const explorer = { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19041', translate: 'f' };
      const seen = (res: Awaited<ReturnType<Stack['request']>>) => {
        const { date: _date, ...headers } = res.headers;
        return { status: res.status, headers, body: res.text };
      };
      const authenticated = seen(await s.request('OPTIONS', '/exists.txt', { headers: { ...explorer, ...alice } }));
      expect(authenticated.status).to.equal(200);
      expect(authenticated.headers.dav).to.equal('1, 2');
      expect(authenticated.headers['ms-author-via']).to.equal('DAV');
      s.emu.resetStats();
      for (const creds of [{}, basic('alice', 'wrong'), basic('mallory', 'builder')]) {
        for (const path of ['/exists.txt', '/no/such/file.txt', '/']) {
          const res = seen(await s.request('OPTIONS', path, { headers: { ...explorer, ...creds } }));
          expect(res, `${JSON.stringify(creds)} ${path}`).to.deep.equal(authenticated);
        }
      }
      const upstream = Object.values(s.emu.stats().endpoints).reduce((n, e) => n + (e?.requests ?? 0), 0);
      expect(upstream).to.equal(0);
    });

    it('answers PROPFIND without credentials 401 with only the Basic challenge', async () => {
      const res = await s.request('PROPFIND', '/', {
        headers: { depth: '1', 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19041', translate: 'f' },
      });
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.equal('Basic realm="terabox-webdav", charset="UTF-8"');
      expect(res.text).to.not.include('exists.txt');
    });

    it('serves a user with the right password (colons, slashes and non-ASCII in it included)', async () => {
      expect((await s.request('PUT', '/alice.txt', { headers: alice, body: 'from alice' })).status).to.equal(201);
      expect((await s.request('GET', '/alice.txt', { headers: bob })).text).to.equal('from alice');
      expect((await s.request('PROPFIND', '/', { headers: { ...alice, depth: '1' } })).status).to.equal(207);
    });

    it("does not let one user write through another user's lock, even with its token", async () => {
      const locked = await s.request('LOCK', '/alice.txt', { headers: alice, body: lockBody('exclusive') });
      expect(locked.status).to.equal(200);
      const token = header(locked, 'lock-token')!;
      expect((await s.request('PUT', '/alice.txt', { headers: { ...bob, if: `(${token})` }, body: 'bob was here' })).status).to.equal(423);
      expect((await s.request('UNLOCK', '/alice.txt', { headers: { ...bob, 'lock-token': token } })).status).to.equal(403);
      expect((await s.request('PUT', '/alice.txt', { headers: { ...alice, if: `(${token})` }, body: 'still alice' })).status).to.equal(204);
      expect((await s.request('UNLOCK', '/alice.txt', { headers: { ...alice, 'lock-token': token } })).status).to.equal(204);
      expect((await s.emu.readFile('/alice.txt')).toString()).to.equal('still alice');
    });
  });

  describe('read-only', () => {
    let s: Stack;

    before(async () => {
      // Files are written first by a writable drive, then served by a read-only one on the same data.
      s = await startStack({ upTo: 'webdav', smallParts: true });
      expect((await s.request('MKCOL', '/ro/')).status).to.equal(201);
      expect((await s.request('PUT', '/ro/file.txt', { body: 'read me' })).status).to.equal(201);
      s.settings.server.readOnly = true;
      await s.restart();
    });
    after(async () => {
      await s?.stop();
    });

    it('serves reads', async () => {
      expect((await s.request('GET', '/ro/file.txt')).text).to.equal('read me');
      expect((await s.request('PROPFIND', '/ro/', { headers: { depth: '1' } })).status).to.equal(207);
      expect((await s.request('HEAD', '/ro/file.txt')).status).to.equal(200);
    });

    it('advertises class 1 and only read methods', async () => {
      const res = await s.request('OPTIONS', '/');
      expect(header(res, 'dav')).to.equal('1');
      expect(header(res, 'allow')!.split(/,\s*/)).to.have.members(['OPTIONS', 'GET', 'HEAD', 'PROPFIND']);
    });

    it('refuses every write with 403 and changes nothing upstream', async () => {
      s.emu.resetStats();
      const writes: [string, string, Record<string, string>, string?][] = [
        ['PUT', '/ro/new.txt', {}, 'x'],
        ['PUT', '/ro/file.txt', {}, 'overwrite'],
        ['PUT', '/ro/._junk', {}, 'junk'],
        ['DELETE', '/ro/file.txt', {}],
        ['MKCOL', '/ro/dir/', {}],
        ['COPY', '/ro/file.txt', { destination: '/ro/copy.txt' }],
        ['MOVE', '/ro/file.txt', { destination: '/ro/moved.txt' }],
        [
          'PROPPATCH',
          '/ro/file.txt',
          {},
          '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:x">1</x></D:prop></D:set></D:propertyupdate>',
        ],
        ['LOCK', '/ro/file.txt', {}, lockBody('exclusive')],
      ];
      for (const [method, path, headers, body] of writes) {
        expect((await s.request(method, path, { headers, body })).status, `${method} ${path}`).to.equal(403);
      }
      for (const name of ['filemanager', 'create', 'precreate', 'superfile2'] as const) expect(s.requests(name), name).to.equal(0);
      expect((await s.request('GET', '/ro/file.txt')).text).to.equal('read me');
      expect((await s.request('GET', '/ro/._junk')).status).to.equal(404);
    });
  });
});
