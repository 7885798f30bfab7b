import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, ConfigError, projectRoot } from '../src/config.js';
import { DRIVE_DEFAULTS } from '../src/drive/index.js';
import type { TeraBoxApi } from '../src/terabox/api.js';
import { DEFAULT_LADDER } from '../src/terabox/chunk-size.js';
import { DEFAULT_BASE_URL, DEFAULT_INVALID_NAME_CHARS, DEFAULT_RETRY, DEFAULT_TIMEOUTS } from '../src/terabox/options.js';
import { DESKTOP_USER_AGENT } from '../src/terabox/wire.js';
import { resolveOptions as resolveUploaderOptions } from '../src/upload/options.js';
import { isLoopback } from '../src/util/loopback.js';

describe('config', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tbw-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, data: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, typeof data === 'string' ? data : JSON.stringify(data));
    return path;
  }

  function error(fn: () => unknown): ConfigError {
    try {
      fn();
    } catch (e) {
      expect(e).to.be.instanceOf(ConfigError);
      return e as ConfigError;
    }
    throw new Error('expected a ConfigError');
  }

  it('starts from config/default.json: the drive on 127.0.0.1:8080 with no cookie', () => {
    const c = loadConfig();
    expect(c.server.host).to.equal('127.0.0.1');
    expect(c.server.port).to.equal(8080);
    expect(c.terabox.cookie).to.equal('');
    expect(c.upload.parallel).to.equal(4);
    expect(c.upload.precreateBlockList).to.equal('real');
    expect(c.dataDir).to.equal(resolve('./data'));
  });

  it('applies flags over environment over config file over defaults', () => {
    const configFile = file('layers.json', { server: { port: 1111, host: '127.0.0.2' }, upload: { parallel: 2 }, log: { level: 'warn' } });
    const c = loadConfig({
      configFile,
      env: { TERABOX_WEBDAV_PORT: '2222', TERABOX_UPLOAD_PARALLEL: '6' },
      flags: { 'server.port': '3333' },
    });
    expect(c.server.port).to.equal(3333); // flag
    expect(c.upload.parallel).to.equal(6); // environment over file
    expect(c.server.host).to.equal('127.0.0.2'); // file over default
    expect(c.log.level).to.equal('warn');
    expect(c.upload.rapidUpload).to.equal(true); // default
  });

  it('reads the config file named by TERABOX_WEBDAV_CONFIG when no --config is given', () => {
    const configFile = file('env-named.json', { cache: { dirTtlSeconds: 7 } });
    expect(loadConfig({ env: { TERABOX_WEBDAV_CONFIG: configFile } }).cache.dirTtlSeconds).to.equal(7);
  });

  it('converts environment text to booleans and numbers', () => {
    const c = loadConfig({ env: { TERABOX_WEBDAV_READ_ONLY: 'yes', TERABOX_WEBDAV_PORT: '0' } });
    expect(c.server.readOnly).to.equal(true);
    expect(c.server.port).to.equal(0);
  });

  it('names the setting and its source when a value is bad', () => {
    const e = error(() => loadConfig({ env: { TERABOX_WEBDAV_PORT: 'eighty' } }));
    expect(e.message).to.contain('server.port').and.contain('TERABOX_WEBDAV_PORT').and.contain('0 to 65535');
    const f = error(() => loadConfig({ flags: { 'upload.parallel': 17 } }));
    expect(f.message).to.contain('upload.parallel').and.contain('1 to 16');
    const g = error(() => loadConfig({ configFile: file('bad-enum.json', { upload: { precreateBlockList: 'fake' } }) }));
    expect(g.message).to.contain('upload.precreateBlockList').and.contain('"real", "placeholder"');
  });

  it('refuses unknown settings in a config file, so typos do not pass silently', () => {
    const e = error(() => loadConfig({ configFile: file('typo.json', { server: { prot: 80 } }) }));
    expect(e.message).to.contain('unknown setting "server.prot"');
  });

  it('reports a config file that is not JSON or cannot be read', () => {
    expect(error(() => loadConfig({ configFile: file('broken.json', '{ "server": ') })).message).to.contain('not valid JSON');
    expect(error(() => loadConfig({ configFile: join(dir, 'missing.json') })).message).to.contain('cannot read config file');
  });

  it('never quotes a broken config file, which may hold a cookie, in its error', () => {
    const e = error(() => loadConfig({ configFile: file('unquoted.json', '{ "terabox": { "cookie": ndus=Y2YqaTEzNzY0MjQx } }') }));
    expect(e.message).to.contain('not valid JSON').and.not.contain('Y2Yq');
  });

  it('never shows a cookie value in an error', () => {
    const e = error(() => loadConfig({ configFile: file('cookie.json', { terabox: { cookie: 12345678 } }) }));
    expect(e.message).to.contain('terabox.cookie').and.not.contain('12345678');
  });

  const salt = Buffer.alloc(16, 1).toString('base64');
  const key = Buffer.alloc(32, 2).toString('base64');

  it('checks users: a name without a colon and a scrypt hash', () => {
    const ok = { name: 'alice', passwordHash: `scrypt$16384$8$1$${salt}$${key}` };
    expect(loadConfig({ configFile: file('users.json', { server: { users: [ok] } }) }).server.users).to.deep.equal([ok]);
    const e = error(() =>
      loadConfig({ configFile: file('plain.json', { server: { users: [{ name: 'bob', passwordHash: 'hunter2' }] } }) }),
    );
    expect(e.message).to.contain('server.users').and.not.contain('hunter2');
  });

  it('refuses a password hash no login could ever match (truncated, or with unusable parameters)', () => {
    for (const passwordHash of [
      'scrypt$',
      `scrypt$16384$8$1$${salt}$`,
      `scrypt$16384$8$1$${salt}$${key.slice(0, 10)}`,
      `scrypt$1000$8$1$${salt}$${key}`,
    ]) {
      const e = error(() => loadConfig({ configFile: file('bad-hash.json', { server: { users: [{ name: 'carol', passwordHash }] } }) }));
      expect(e.message).to.contain('server.users');
    }
  });

  it('refuses two users of the same name, whose second password would silently replace the first', () => {
    const user = { name: 'dave', passwordHash: `scrypt$16384$8$1$${salt}$${key}` };
    const e = error(() => loadConfig({ configFile: file('twice.json', { server: { users: [user, { ...user }] } }) }));
    expect(e.message).to.contain('server.users');
  });

  it('rejects a ladder whose base part is larger than its largest', () => {
    const e = error(() =>
      loadConfig({ configFile: file('ladder.json', { upload: { ladder: { baseChunkSize: 256, maxChunkSize: 128 } } }) }),
    );
    expect(e.message).to.contain('upload.ladder');
  });

  it('knows loopback addresses', () => {
    expect(isLoopback('127.0.0.1')).to.equal(true);
    expect(isLoopback('localhost')).to.equal(true);
    expect(isLoopback('::1')).to.equal(true);
    expect(isLoopback('[::1]')).to.equal(true);
    expect(isLoopback('0.0.0.0')).to.equal(false);
    expect(isLoopback('192.168.1.2')).to.equal(false);
  });
});

// Defaults have one source, config/default.json: the settings loader starts from it, the layers read
// their own defaults from it (src/defaults.ts), and the README's table must say the same.
describe('defaults: one source', () => {
  const file = JSON.parse(readFileSync(join(projectRoot(), 'config', 'default.json'), 'utf8')) as Record<string, unknown>;
  const at = (path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], file);

  it('is what a drive, a client and an uploader made without settings use', () => {
    expect(DRIVE_DEFAULTS).to.deep.equal({
      dirTtlMs: (at('cache.dirTtlSeconds') as number) * 1000,
      maxCachedDirs: at('cache.maxDirs'),
      linkMarginMs: (at('cache.linkMarginSeconds') as number) * 1000,
      quotaTtlMs: (at('cache.quotaTtlSeconds') as number) * 1000,
    });
    expect(DEFAULT_RETRY).to.deep.equal(at('terabox.retry'));
    expect(DEFAULT_TIMEOUTS).to.deep.equal(at('terabox.timeouts'));
    const up = resolveUploaderOptions({ api: {} as TeraBoxApi, spoolDir: '/s', journalPath: '/j' });
    expect([up.parallel, up.globalParallel, up.partAttempts, up.rapidUpload, up.precreateBlockList]).to.deep.equal(
      ['parallel', 'globalParallel', 'partAttempts', 'rapidUpload', 'precreateBlockList'].map((k) => at(`upload.${k}`)),
    );
  });

  // TeraBox facts the settings file must repeat (JSON cannot import them): held equal here.
  it('repeats the protocol constants exactly', () => {
    expect(at('upload.ladder')).to.deep.equal(DEFAULT_LADDER);
    expect(at('terabox.userAgent')).to.equal(DESKTOP_USER_AGENT);
    expect(at('terabox.invalidNameChars')).to.equal(DEFAULT_INVALID_NAME_CHARS);
    expect(at('terabox.baseUrl')).to.equal(DEFAULT_BASE_URL);
  });

  it('is what the README settings table says', () => {
    const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-zA-Z.]+)` \|[^|]*\|[^|]*\| ((?:[^|\\]|\\\|)*) \|/gm)];
    expect(rows.length).to.be.greaterThan(10);
    for (const [, path, documented] of rows) {
      const value = at(path!);
      if (value === '' || value === undefined) continue; // an empty default is described in words
      const shown = Array.isArray(value) ? (value.length === 0 ? '[]' : value.map((v) => `\`${v}\``).join(', ')) : String(value);
      const text = documented!.trim().replace(/\\\|/g, '|');
      expect(Array.isArray(value) ? text : text.replace(/^`(.*)`$/, '$1'), path).to.equal(shown);
    }
  });
});
