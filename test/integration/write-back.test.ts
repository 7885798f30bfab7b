import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { UploadStatus, UploadTotals } from '../../src/drive/status.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import { createUploader } from '../../src/upload/index.js';
import { dav, lockBody } from '../dav/client.js';
import { bytes, KiB, startStack, type Stack } from '../support/index.js';

interface Uploads {
  items: UploadStatus[];
  totals: UploadTotals;
}

async function uploads(s: Stack): Promise<Uploads> {
  const res = await s.request('GET', '/.well-known/terabox-webdav/status.json');
  expect(res.status).to.equal(200);
  const status = JSON.parse(res.text) as { uploads: Uploads; settings: { uploadMode: string } };
  expect(status.settings.uploadMode).to.equal('write-back');
  return status.uploads;
}

/** Polls the status API until `done` holds (deadline: 20 s). */
async function until(s: Stack, done: (u: Uploads) => boolean): Promise<Uploads> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const u = await uploads(s);
    if (done(u)) return u;
    if (Date.now() > deadline) throw new Error(`status never settled: ${JSON.stringify(u)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('integration: write-back', function () {
  this.timeout(60_000);

  describe('over HTTP', () => {
    let s: Stack;
    before(async () => {
      s = await startStack({
        upTo: 'webdav',
        smallParts: true,
        // Parts crawl, so commits are still pending while the test looks at them.
        knobs: { latencyMs: 0 },
        configure: (c) => {
          c.upload.mode = 'write-back';
        },
      });
    });
    after(async () => {
      await s.stop();
    });

    it('answers 201 at once; the file is listed, read and unchanged (size, ETag, mtime) when its commit lands', async () => {
      s.emu.setKnobs({ latencyMs: 150 });
      try {
        expect((await s.request('MKCOL', '/wb/')).status).to.equal(201);
        const data = bytes(700 * KiB);
        const put = await s.request('PUT', '/wb/f.bin', { body: data });
        expect(put.status).to.equal(201);
        expect(s.emu.entry('/wb/f.bin')).to.equal(null);
        const pending = await uploads(s);
        expect(pending.items.map((i) => [i.path, i.size])).to.deep.equal([['/wb/f.bin', data.length]]);
        expect(pending.totals.pending + pending.totals.active).to.equal(1);

        const head = await s.request('HEAD', '/wb/f.bin');
        expect(head.headers['content-length']).to.equal(String(data.length));
        const get = await s.request('GET', '/wb/f.bin', { headers: { range: 'bytes=100-199' } });
        expect(get.status).to.equal(206);
        expect(get.body.equals(data.subarray(100, 200))).to.equal(true);
        const list = await s.request('PROPFIND', '/wb/', { headers: { depth: '1' } });
        expect(list.text).to.contain('f.bin').and.to.contain(`<D:getcontentlength>${data.length}</D:getcontentlength>`);
        // COPY, LOCK and PROPPATCH work on it as on any file.
        expect((await s.request('COPY', '/wb/f.bin', { headers: { destination: '/wb/copy.bin' } })).status).to.equal(201);
        const lock = await s.request('LOCK', '/wb/f.bin', { body: lockBody('exclusive') });
        expect(lock.status).to.equal(200);
        const token = String(lock.headers['lock-token']);
        const proppatch = await s.request('PROPPATCH', '/wb/f.bin', {
          headers: { if: `(${token})` },
          body: '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:set><D:prop><Z:note>pending</Z:note></D:prop></D:set></D:propertyupdate>',
        });
        expect(proppatch.status).to.equal(207);
        expect((await s.request('UNLOCK', '/wb/f.bin', { headers: { 'lock-token': token } })).status).to.equal(204);

        s.emu.setKnobs({ latencyMs: 0 });
        await until(s, (u) => u.items.length === 0);
        expect((await s.emu.readFile('/wb/f.bin')).equals(data)).to.equal(true);
        expect((await s.emu.readFile('/wb/copy.bin')).equals(data)).to.equal(true);
        const after = await s.request('HEAD', '/wb/f.bin');
        expect(after.headers.etag).to.equal(head.headers.etag);
        expect(after.headers['last-modified']).to.equal(head.headers['last-modified']);
      } finally {
        s.emu.setKnobs({ latencyMs: 0 });
      }
    });

    it('refuses a name TeraBox would refuse (400) and a missing parent (409) before reading the body, storing nothing', async () => {
      // Characters TeraBox refuses are mapped (terabox.nameEncoding); a name over 255 bytes is refused.
      expect((await s.request('PUT', `/${'n'.repeat(256)}.txt`, { body: 'x' })).status).to.equal(400);
      expect((await s.request('PUT', '/no/such/folder/f.txt', { body: 'x' })).status).to.equal(409);
      expect((await uploads(s)).items.filter((i) => !i.path.startsWith('/wb/'))).to.deep.equal([]);
    });

    it('a folder DELETE while a PUT into it is receiving its body: nothing comes back, on the drive or TeraBox', async () => {
      expect((await s.request('MKCOL', '/race/')).status).to.equal(201);
      const data = bytes(400 * KiB);
      const slow = new Readable({ read() {} });
      slow.push(data.subarray(0, 100 * KiB));
      const put = dav(s.origin, 'PUT', '/race/f.bin', { body: slow, headers: { 'content-length': String(data.length) } });
      await new Promise((r) => setTimeout(r, 100));
      const del = s.request('DELETE', '/race/');
      await new Promise((r) => setTimeout(r, 100));
      slow.push(data.subarray(100 * KiB));
      slow.push(null);
      expect((await put).status).to.equal(201);
      expect((await del).status).to.equal(204);
      await until(s, (u) => u.items.length === 0);
      expect((await s.request('GET', '/race/f.bin')).status).to.equal(404);
      expect((await s.request('PROPFIND', '/race/', { headers: { depth: '0' } })).status).to.equal(404);
      expect(s.emu.entry('/race')).to.equal(null);
    });

    it('a MOVE onto a folder replaces it, and none of the old folder’s pending files land in the new one', async () => {
      expect((await s.request('MKCOL', '/rd-src/')).status).to.equal(201);
      expect((await s.request('PUT', '/rd-src/new.txt', { body: 'new' })).status).to.equal(201);
      expect((await s.request('MKCOL', '/rd-dst/')).status).to.equal(201);
      expect((await s.request('PUT', '/rd-dst/old.txt', { body: 'old' })).status).to.equal(201);
      expect((await s.request('MOVE', '/rd-src/', { headers: { destination: '/rd-dst/' } })).status).to.equal(204);
      await until(s, (u) => u.items.length === 0);
      expect(s.emu.entry('/rd-dst/old.txt')).to.equal(null);
      expect((await s.emu.readFile('/rd-dst/new.txt')).toString()).to.equal('new');
      expect(s.emu.entry('/rd-src')).to.equal(null);
      expect((await s.request('GET', '/rd-dst/new.txt')).text).to.equal('new');
    });
  });

  it('a quota refusal at commit time: a failed entry in status.json, logged, the file still readable', async () => {
    const s = await startStack({
      upTo: 'webdav',
      smallParts: true,
      account: { quotaBytes: 600 * KiB },
      configure: (c) => {
        c.upload.mode = 'write-back';
        c.cache.quotaTtlSeconds = 3600;
      },
    });
    try {
      // Content another account already stored, so this account can take it by rapid upload at once.
      const other = s.emu.addAccount();
      const filler = bytes(500 * KiB);
      const otherApi = createTeraBoxClient({ baseUrl: s.emu.url, cookie: other.cookie });
      const otherUp = createUploader({
        api: otherApi,
        spoolDir: join(s.dataDir, 'other-spool'),
        journalPath: join(s.dataDir, 'other.db'),
        rapidUpload: false,
      });
      await otherUp.upload({ path: '/filler.bin', body: Readable.from([filler]), size: filler.length });
      await otherUp.close();
      await otherApi.close();

      // The drive's commit reaches create only after a while; meanwhile another client of the same
      // account takes the space (by rapid upload), after the drive checked the quota for the PUT.
      s.emu.setKnobs({ latencyMs: { create: 1500 } });
      const data = bytes(300 * KiB);
      expect((await s.request('PUT', '/f.bin', { body: data })).status).to.equal(201);
      const api = createTeraBoxClient({ baseUrl: s.emu.url, cookie: s.settings.terabox.cookie });
      const outside = createUploader({ api, spoolDir: join(s.dataDir, 'outside-spool'), journalPath: join(s.dataDir, 'outside.db') });
      const rapid = await outside.upload({ path: '/outside.bin', body: Readable.from([filler]), size: filler.length });
      expect(rapid).to.include({ kind: 'committed', rapid: true });
      await outside.close();
      await api.close();

      const failed = await until(s, (u) => u.totals.failed === 1);
      expect(failed.items[0]).to.include({ path: '/f.bin', size: data.length, state: 'failed' });
      expect(failed.items[0]!.lastError).to.match(/space/);
      expect(s.errorLines.some((l) => l.path === '/f.bin')).to.equal(true);
      s.emu.setKnobs({ latencyMs: 0 });
      expect((await s.request('GET', '/f.bin')).body.equals(data)).to.equal(true);
      expect((await s.request('DELETE', '/f.bin')).status).to.equal(204);
      expect((await uploads(s)).items).to.deep.equal([]);
      expect(s.emu.entry('/f.bin')).to.equal(null);
    } finally {
      await s.stop();
    }
  });

  describe('kill -9 after the 201, before the commit', () => {
    let tmp: string;
    let emu: EmulatorHandle;
    const children: ChildProcess[] = [];
    before(async () => {
      tmp = await mkdtemp(join(tmpdir(), 'wb-crash-'));
      emu = await startEmulator({ dataDir: join(tmp, 'emulator'), knobs: { minPartSize: 64 * KiB } });
    });
    after(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await emu.stop();
      await rm(tmp, { recursive: true, force: true });
    });

    function serve(): { child: ChildProcess; url: Promise<string> } {
      const cli = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TERABOX_')));
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          cli,
          'serve',
          '--port',
          '0',
          '--data',
          join(tmp, 'data'),
          '--upstream',
          emu.url,
          '--config',
          join(tmp, 'config.json'),
        ],
        {
          env: { ...clean, TERABOX_COOKIE: emu.defaultCookie },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      let out = '';
      const url = new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`the drive exited (${code}): ${out}`)));
      });
      return { child, url };
    }

    it('the restarted drive lists and serves the file, then commits it byte-exact sending only the missing parts', async () => {
      await writeFile(
        join(tmp, 'config.json'),
        JSON.stringify({
          upload: { parallel: 1, rapidUpload: false, ladder: { baseChunkSize: 64 * KiB, baseLimit: 1024 ** 3, maxChunkSize: 64 * KiB } },
          log: { level: 'info' },
        }),
      );
      const parts = 8;
      const data = bytes(parts * 64 * KiB);
      // Each part takes a while, so the commit is still under way when the process is killed.
      emu.setKnobs({ latencyMs: 300 });
      const first = serve();
      const url = (await first.url).replace(/\/$/, '');
      expect((await dav(url, 'PUT', '/crash.bin', { body: data })).status).to.equal(201);
      while ((emu.stats().endpoints.superfile2?.requests ?? 0) < 2) await new Promise((r) => setTimeout(r, 20));
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      expect(emu.entry('/crash.bin')).to.equal(null);

      emu.setKnobs({ latencyMs: 0 });
      const sentBefore = emu.stats().endpoints.superfile2?.requests ?? 0;
      const second = serve();
      const url2 = (await second.url).replace(/\/$/, '');
      const got = await dav(url2, 'GET', '/crash.bin');
      expect(got.status).to.equal(200);
      expect(got.body.equals(data)).to.equal(true);
      const deadline = Date.now() + 30_000;
      while (!emu.entry('/crash.bin') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await emu.readFile('/crash.bin')).equals(data)).to.equal(true);
      const resent = (emu.stats().endpoints.superfile2?.requests ?? 0) - sentBefore;
      expect(resent).to.be.greaterThan(0).and.lessThan(parts);
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    });

    it('SIGTERM while commits run: a clean exit, and the next start has every file on TeraBox byte-exact', async () => {
      const files = [bytes(6 * 64 * KiB), bytes(5 * 64 * KiB)];
      emu.setKnobs({ latencyMs: 200 });
      const first = serve();
      const url = (await first.url).replace(/\/$/, '');
      for (const [i, data] of files.entries()) expect((await dav(url, 'PUT', `/term-${i}.bin`, { body: data })).status).to.equal(201);
      const exited = new Promise<number | null>((r) => first.child.once('exit', (code) => r(code)));
      first.child.kill('SIGTERM');
      expect(await exited).to.equal(0);
      emu.setKnobs({ latencyMs: 0 });
      const second = serve();
      const url2 = (await second.url).replace(/\/$/, '');
      for (const [i, data] of files.entries()) expect((await dav(url2, 'GET', `/term-${i}.bin`)).body.equals(data)).to.equal(true);
      const deadline = Date.now() + 30_000;
      while (files.some((_, i) => !emu.entry(`/term-${i}.bin`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const [i, data] of files.entries()) expect((await emu.readFile(`/term-${i}.bin`)).equals(data)).to.equal(true);
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    });
  });
});
