import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { scryptSync } from 'node:crypto';
import { createAuthenticator, parseBasicAuth, type AuthResult } from '../../src/dav/auth.js';
import { isLoopbackAddress, isLoopbackHost } from '../../src/util/loopback.js';
import { hashPassword, verifyPassword } from '../../src/util/password.js';

function basic(credentials: string): string {
  return 'Basic ' + Buffer.from(credentials, 'utf8').toString('base64');
}

function fakeRequest(authorization: string | undefined, localAddress = '127.0.0.1', host?: string): IncomingMessage {
  const headers = { ...(authorization ? { authorization } : {}), ...(host !== undefined ? { host } : {}) };
  return { headers, socket: { localAddress } } as unknown as IncomingMessage;
}

/** A valid hash at the lowest cost the parser takes, so tests can check many passwords quickly. */
function cheapHash(password: string): string {
  const salt = Buffer.alloc(16, 1);
  return `scrypt$1024$1$1$${salt.toString('base64')}$${scryptSync(password, salt, 32, { N: 1024, r: 1, p: 1 }).toString('base64')}`;
}

describe('password hashes', () => {
  it('hashes into scrypt$N$r$p$salt$hash and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).to.match(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword('correct horse', hash)).to.equal(true);
    expect(await verifyPassword('correct horsE', hash)).to.equal(false);
    expect(await verifyPassword('', hash)).to.equal(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).to.not.equal(await hashPassword('same'));
  });

  it('treats malformed or abusive hashes as a mismatch instead of throwing', async () => {
    const good = await hashPassword('pw');
    const [, , r, p, salt, key] = good.split('$');
    for (const bad of [
      '',
      'plain',
      'bcrypt$x',
      `scrypt$1000$${r}$${p}$${salt}$${key}`,
      `scrypt$${1 << 24}$${r}$${p}$${salt}$${key}`,
      `scrypt$32768$${r}$${p}$${salt}$`,
    ]) {
      expect(await verifyPassword('pw', bad), bad).to.equal(false);
    }
  });

  it('normalises Unicode so composed and decomposed passwords match', async () => {
    const hash = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', hash)).to.equal(true);
  });
});

describe('Basic credentials parser', () => {
  it('splits at the first colon so passwords may contain colons', () => {
    expect(parseBasicAuth(basic('user:pa:ss:word'))).to.deep.equal({ user: 'user', password: 'pa:ss:word' });
  });

  it('accepts base64 with + and / and without padding, and any scheme case', () => {
    // These credentials encode to base64 containing both '+' and '/'.
    const creds = 'u>>?:p??>';
    const encoded = Buffer.from(creds).toString('base64');
    expect(encoded).to.match(/[+/]/);
    expect(parseBasicAuth(`Basic ${encoded}`)).to.deep.equal({ user: 'u>>?', password: 'p??>' });
    expect(parseBasicAuth(`bAsIc ${encoded.replace(/=+$/, '')}`)).to.deep.equal({ user: 'u>>?', password: 'p??>' });
  });

  it('decodes UTF-8 user names and passwords, and allows an empty password', () => {
    expect(parseBasicAuth(basic('jürgen:pässwört'))).to.deep.equal({ user: 'jürgen', password: 'pässwört' });
    expect(parseBasicAuth(basic('user:'))).to.deep.equal({ user: 'user', password: '' });
  });

  it('returns null for absent, other-scheme, colon-less, non-base64 or non-UTF-8 credentials', () => {
    expect(parseBasicAuth(undefined)).to.equal(null);
    expect(parseBasicAuth('Bearer abc')).to.equal(null);
    expect(parseBasicAuth(basic('nocolon'))).to.equal(null);
    expect(parseBasicAuth('Basic !!!')).to.equal(null);
    expect(parseBasicAuth('Basic a')).to.equal(null);
    expect(parseBasicAuth('Basic ' + Buffer.from([0x75, 0x3a, 0xff, 0xfe]).toString('base64'))).to.equal(null);
  });
});

describe('authenticator', () => {
  it('accepts configured users with the right password only', async () => {
    const auth = createAuthenticator({ users: [{ name: 'alice', passwordHash: await hashPassword('s3cret:+/') }], allowAnonymous: false });
    expect(await auth(fakeRequest(basic('alice:s3cret:+/')))).to.deep.equal({ ok: true, user: 'alice' });
    expect(await auth(fakeRequest(basic('alice:s3cret:+/')))).to.deep.equal({ ok: true, user: 'alice' });
    expect(await auth(fakeRequest(basic('alice:wrong')))).to.deep.equal({ ok: false });
    expect(await auth(fakeRequest(basic('mallory:s3cret:+/')))).to.deep.equal({ ok: false });
    expect(await auth(fakeRequest(undefined))).to.deep.equal({ ok: false });
  });

  it('never lets anonymous requests in when users are configured', async () => {
    const auth = createAuthenticator({ users: [{ name: 'alice', passwordHash: await hashPassword('x') }], allowAnonymous: true });
    expect(await auth(fakeRequest(undefined))).to.deep.equal({ ok: false });
  });

  it('allows anonymous access only on loopback', async () => {
    const auth = createAuthenticator({ users: [], allowAnonymous: true });
    expect(await auth(fakeRequest(undefined, '127.0.0.1'))).to.deep.equal({ ok: true, user: null });
    expect(await auth(fakeRequest(undefined, '::1'))).to.deep.equal({ ok: true, user: null });
    expect(await auth(fakeRequest(undefined, '::ffff:127.0.0.1'))).to.deep.equal({ ok: true, user: null });
    expect(await auth(fakeRequest(undefined, '192.168.1.20'))).to.deep.equal({ ok: false });
    expect(await auth(fakeRequest(undefined, '::ffff:10.0.0.1'))).to.deep.equal({ ok: false });
  });

  it('checks at most a few passwords at once and refuses the surplus as busy instead of queueing scrypt work without bound', async () => {
    // scrypt runs on the thread pool file I/O shares: a flood of wrong passwords must not stall the drive.
    const users = [{ name: 'alice', passwordHash: await hashPassword('right') }];
    const auth = createAuthenticator({ users, allowAnonymous: false, checkLimits: { running: 1, waiting: 2 } });
    const flood = (name: (i: number) => string) =>
      Promise.all(Array.from({ length: 6 }, (_, i) => auth(fakeRequest(basic(`${name(i)}:wrong-${i}`)))));
    const busy = (results: AuthResult[]) => results.map((r) => !r.ok && r.busy === true);
    expect(busy(await flood(() => 'alice'))).to.deep.equal([false, false, false, true, true, true]);
    // Unknown users cost a (decoy) check too, so they are limited the same way.
    expect(busy(await flood((i) => `user-${i}`))).to.deep.equal([false, false, false, true, true, true]);
    // Once the flood has been answered, the right password gets in.
    expect(await auth(fakeRequest(basic('alice:right')))).to.deep.equal({ ok: true, user: 'alice' });
  });

  it('limits password checks by default to 2 at once with 32 waiting', async () => {
    const auth = createAuthenticator({ users: [{ name: 'alice', passwordHash: cheapHash('right') }], allowAnonymous: false });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => auth(fakeRequest(basic(`alice:wrong-${i}`)))));
    expect(results.filter((r) => !r.ok && r.busy)).to.have.length(40 - 2 - 32);
  });

  it('refuses anonymous access for a Host that is not a loopback name, as a DNS-rebinding web page sends', async () => {
    const auth = createAuthenticator({ users: [], allowAnonymous: true });
    for (const host of [
      '127.0.0.1:8080',
      'localhost:8080',
      'LocalHost',
      'localhost.',
      'drive.localhost:8080',
      '[::1]:8080',
      '127.1',
      '[::ffff:127.0.0.1]',
    ]) {
      expect(await auth(fakeRequest(undefined, '127.0.0.1', host)), host).to.deep.equal({ ok: true, user: null });
    }
    for (const host of [
      'evil.example:8080',
      '127.0.0.1.nip.io',
      'localhost.evil.example',
      '[::ffff:10.0.0.1]',
      'evil.example@127.0.0.1',
      '',
      'a b',
    ]) {
      expect(await auth(fakeRequest(undefined, '127.0.0.1', host)), host).to.deep.equal({ ok: false });
    }
  });

  it('recognises loopback host names and addresses in Host headers', () => {
    expect(
      [
        'localhost',
        'localhost:1',
        'x.localhost',
        '127.0.0.1',
        '127.9.9.9:80',
        '0x7f.1',
        '[::1]',
        '[0:0:0:0:0:0:0:1]:8080',
        undefined,
      ].every(isLoopbackHost),
    ).to.equal(true);
    expect(
      ['example.com', '10.0.0.1', '128.0.0.1', '[::2]', 'localhost.com', '127.0.0.1.example', '127.0.0.1/x'].some(isLoopbackHost),
    ).to.equal(false);
  });

  it('refuses a configuration where nobody could log in', () => {
    expect(() => createAuthenticator({ users: [], allowAnonymous: false })).to.throw(/nobody could log in/);
  });

  it('recognises loopback addresses', () => {
    expect(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'].every(isLoopbackAddress)).to.equal(true);
    expect(['0.0.0.0', '10.1.2.3', '::', undefined].some(isLoopbackAddress)).to.equal(false);
  });
});
