import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Drive } from '../../src/drive/index.js';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import { createTeraBoxDrive } from '../../src/drive/index.js';
import { codeOf, get, put } from './harness.js';
import { bytes, driveCases, bodyOf, type Stack } from '../support/index.js';
import { ManualClock } from '../support/clock.js';

describe('TeraBoxDrive over the emulator: reads, writes and caches', () => {
  let s: Stack;
  let drive: Drive;
  let dir: string;

  driveCases((c) => ({ s, drive, dir } = c));

  describe('read-after-write', () => {
    it('lists a new file with its exact size at once, and stores its bytes on TeraBox', async () => {
      await drive.list(dir);
      const content = bytes(300_000, 7);
      const { result, calls } = await s.counting(['list'], () => put(drive, `${dir}/new.bin`, content));
      expect(result.created).to.equal(true);
      expect(result.entry).to.include({ path: `${dir}/new.bin`, name: 'new.bin', isDir: false, size: content.length });
      const listed = await drive.list(dir);
      expect(listed.map((e) => [e.name, e.size])).to.deep.equal([['new.bin', content.length]]);
      expect((await drive.stat(`${dir}/new.bin`))?.etag).to.equal(result.entry.etag);
      expect(calls.list).to.equal(0);
      expect((await s.emu.readFile(`${dir}/new.bin`)).equals(content)).to.equal(true);
      expect((await get(drive, `${dir}/new.bin`)).equals(content)).to.equal(true);
    });

    it('answers 204-style created=false on a replace and shows the new content and ETag at once', async () => {
      const first = await put(drive, `${dir}/f.txt`, 'first version');
      const second = await put(drive, `${dir}/f.txt`, 'the second, longer version');
      expect(second.created).to.equal(false);
      expect(second.entry.etag).to.not.equal(first.entry.etag);
      expect((await drive.stat(`${dir}/f.txt`))?.size).to.equal(26);
      expect((await get(drive, `${dir}/f.txt`)).toString()).to.equal('the second, longer version');
    });

    it('gives a written file the same ETag a fresh listing gives it (stable across restarts)', async () => {
      const { entry } = await put(drive, `${dir}/e.txt`, 'etag me');
      const again = await s.restartDrive();
      const listed = await again.stat(`${dir}/e.txt`);
      expect(listed?.etag).to.equal(entry.etag);
      expect(listed?.mtime.getTime()).to.equal(entry.mtime.getTime());
      expect(listed?.contentType).to.equal('text/plain');
    });

    it('lists a new directory at once, and listing it costs no upstream call', async () => {
      await drive.list(dir);
      const made = await drive.mkdir(`${dir}/sub`);
      expect(made).to.include({ path: `${dir}/sub`, isDir: true, size: 0 });
      const { result, calls } = await s.counting(['list'], async () => [await drive.list(dir), await drive.list(`${dir}/sub`)]);
      expect(result[0]!.map((e) => e.name)).to.deep.equal(['sub']);
      expect(result[1]).to.deep.equal([]);
      expect(calls.list).to.equal(0);
      expect(s.emu.entry(`${dir}/sub`)?.isDir).to.equal(true);
    });

    it('forgets a deleted file and a deleted tree at once', async () => {
      await put(drive, `${dir}/gone.txt`, 'x');
      await drive.mkdir(`${dir}/tree`);
      await put(drive, `${dir}/tree/leaf.txt`, 'leaf');
      await drive.list(`${dir}/tree`);
      await drive.remove(`${dir}/gone.txt`);
      await drive.remove(`${dir}/tree`);
      expect(await drive.list(dir)).to.deep.equal([]);
      expect(await drive.stat(`${dir}/tree/leaf.txt`)).to.equal(null);
      expect(s.emu.entry(`${dir}/gone.txt`)).to.equal(null);
      expect(s.emu.entry(`${dir}/tree/leaf.txt`)).to.equal(null);
    });

    it('serialises two PUTs to the same path: one creates, the other replaces, nothing interleaves', async () => {
      const a = bytes(200_000, 1);
      const b = bytes(150_000, 2);
      const results = await Promise.all([put(drive, `${dir}/race.bin`, a), put(drive, `${dir}/race.bin`, b)]);
      expect(results.map((r) => r.created).sort()).to.deep.equal([false, true]);
      const stored = await s.emu.readFile(`${dir}/race.bin`);
      expect(stored.equals(a) || stored.equals(b)).to.equal(true);
      expect((await drive.stat(`${dir}/race.bin`))?.size).to.equal(stored.length);
    });
  });

  describe('listing cache', () => {
    it('lists a 1,000-entry directory with one page per 1,000 entries, then answers from cache', async () => {
      const big = `${dir}/big`;
      await s.api.mkdir(big);
      const names = Array.from({ length: 1000 }, (_, i) => `d${String(i).padStart(4, '0')}`);
      for (let i = 0; i < names.length; i += 50) {
        await Promise.all(names.slice(i, i + 50).map((n) => s.api.mkdir(`${big}/${n}`)));
      }
      await drive.stat(big);
      const cold = await s.counting(['list'], () => drive.list(big));
      expect(cold.result).to.have.length(1000);
      // One full page of 1,000, and at most the short (empty) page that ends the walk.
      expect(cold.calls.list).to.be.within(1, 2);
      const warm = await s.counting(['list', 'filemetas'], async () => {
        for (let i = 0; i < 5; i++) expect(await drive.list(big)).to.have.length(1000);
        for (const n of names.slice(0, 200)) expect((await drive.stat(`${big}/${n}`))?.isDir).to.equal(true);
        expect(await drive.stat(`${big}/missing`)).to.equal(null);
      });
      expect(warm.calls).to.deep.equal({ list: 0, filemetas: 0 });
    });

    it('shares one upstream listing among concurrent lookups of a cold directory', async () => {
      await s.api.mkdir(`${dir}/x`);
      const { result, calls } = await s.counting(['list'], () =>
        Promise.all(Array.from({ length: 20 }, (_, i) => drive.stat(`${dir}/${i % 2 ? 'x' : 'nothing'}`))),
      );
      expect(result.filter((e) => e?.isDir)).to.have.length(10);
      // One listing: its page and the empty page that ends it (issue 11: list until an empty page).
      expect(calls.list).to.equal(2);
    });

    it('lists again after the TTL and then sees changes made outside the drive', async () => {
      const clock = new ManualClock();
      const short = await s.freshDrive({ dirTtlMs: 200, now: clock.now });
      await short.list(dir);
      await s.api.mkdir(`${dir}/outside`);
      expect(await short.stat(`${dir}/outside`)).to.equal(null);
      clock.advance(300);
      expect((await short.stat(`${dir}/outside`))?.isDir).to.equal(true);
    });

    it('answers stat and list (HEAD, PROPFIND) without minting or fetching any download link', async () => {
      await put(drive, `${dir}/a.txt`, 'aaa');
      const fresh = await s.restartDrive();
      const { calls } = await s.counting(['filemetas', 'download', 'dlink', 'data', 'home/info'], async () => {
        await fresh.stat(`${dir}/a.txt`);
        await fresh.list(dir);
        await fresh.stat(dir);
        await fresh.list('/');
      });
      expect(calls).to.deep.equal({ filemetas: 0, download: 0, dlink: 0, data: 0, 'home/info': 0 });
    });

    it('answers a missing path under a missing folder from the cached listing above it', async () => {
      await drive.list(dir);
      const { result, calls } = await s.counting(['list'], () => drive.stat(`${dir}/no-folder/._probe`));
      expect(result).to.equal(null);
      expect(calls.list).to.equal(0);
    });
  });

  describe('reads', () => {
    it('reads 10 bytes of an 8 MiB file without fetching the file', async () => {
      const content = bytes(8 * 1024 * 1024, 3);
      await put(drive, `${dir}/large.bin`, content);
      const before = s.bytesOut('data');
      const part = await get(drive, `${dir}/large.bin`, { start: 5_000_000, end: 5_000_009 });
      expect(part.equals(content.subarray(5_000_000, 5_000_010))).to.equal(true);
      expect(s.bytesOut('data') - before).to.be.below(64 * 1024);
    });

    it('reads a whole file and its last byte', async () => {
      const content = bytes(70_000, 4);
      await put(drive, `${dir}/r.bin`, content);
      expect((await get(drive, `${dir}/r.bin`)).equals(content)).to.equal(true);
      expect((await get(drive, `${dir}/r.bin`, { start: 69_999, end: 69_999 }))[0]).to.equal(content[69_999]);
    });

    it('reuses a download link: the second read mints none', async () => {
      await put(drive, `${dir}/l.txt`, 'linked');
      const first = await s.counting(['filemetas', 'download'], () => get(drive, `${dir}/l.txt`));
      const second = await s.counting(['filemetas', 'download', 'data'], () => get(drive, `${dir}/l.txt`));
      expect(first.calls.filemetas + first.calls.download).to.equal(1);
      expect(second.calls).to.deep.equal({ filemetas: 0, download: 0, data: 1 });
      expect(second.result.toString()).to.equal('linked');
    });

    it('mints a new link once the cached one is about to expire', async () => {
      s.emu.setKnobs({ dlinkTtlMs: 2_000 });
      // The drive's clock runs 2.1 s ahead when told: the link expired by the drive's reckoning, while
      // the emulator (on real time) would still serve it.
      let ahead = 0;
      try {
        const short = await s.freshDrive({ linkMarginMs: 0, now: () => Date.now() + ahead });
        await put(short, `${dir}/exp.txt`, 'expiring');
        const mints = () => s.requests('filemetas') + s.requests('download');
        const start = mints();
        await get(short, `${dir}/exp.txt`);
        await get(short, `${dir}/exp.txt`);
        expect(mints() - start).to.equal(1);
        ahead = 2_100;
        expect((await get(short, `${dir}/exp.txt`)).toString()).to.equal('expiring');
        expect(mints() - start).to.equal(2);
      } finally {
        s.emu.setKnobs({ dlinkTtlMs: 8 * 3600_000 });
      }
    });

    it('re-mints once when TeraBox refuses a link the cache still trusted', async () => {
      s.emu.setKnobs({ dlinkTtlMs: 1_000 });
      try {
        // An API whose links claim to live an hour longer than they do: the cache keeps them too long.
        const optimistic: TeraBoxApi = Object.create(s.api, {
          downloadLink: {
            value: async (e: Parameters<TeraBoxApi['downloadLink']>[0]) => ({
              ...(await s.api.downloadLink(e)),
              expiresAt: Date.now() + 3600_000,
            }),
          },
        });
        await s.freshDrive();
        const d = createTeraBoxDrive({ api: optimistic, uploader: s.uploader, db: s.db, overlayDir: `${s.tmp}/overlay-optimistic` });
        await put(d, `${dir}/stale.txt`, 'still readable');
        const mints = () => s.requests('filemetas') + s.requests('download');
        const start = mints();
        await get(d, `${dir}/stale.txt`);
        await sleep(2_100);
        expect((await get(d, `${dir}/stale.txt`)).toString()).to.equal('still readable');
        expect(mints() - start).to.equal(2);
        await d.close();
      } finally {
        s.emu.setKnobs({ dlinkTtlMs: 8 * 3600_000 });
      }
    });

    it('reports NOT_FOUND for a file deleted outside the drive and forgets the stale listing', async () => {
      await put(drive, `${dir}/vanishing.txt`, 'soon gone');
      await s.api.delete([`${dir}/vanishing.txt`]);
      expect((await drive.stat(`${dir}/vanishing.txt`))?.size).to.equal(9);
      expect(await codeOf(drive.read(`${dir}/vanishing.txt`))).to.equal('NOT_FOUND');
      expect(await drive.stat(`${dir}/vanishing.txt`)).to.equal(null);
    });

    it('refuses to read a collection or a missing file', async () => {
      expect(await codeOf(drive.read(dir))).to.equal('IS_A_DIRECTORY');
      expect(await codeOf(drive.read(`${dir}/none`))).to.equal('NOT_FOUND');
    });
  });

  describe('quota', () => {
    it('reports used and available space from /api/quota, asking once per TTL', async () => {
      const { result, calls } = await s.counting(['quota'], async () => [await drive.quota(), await drive.quota()]);
      expect(result[0]).to.deep.equal(result[1]);
      expect(result[0]!.used).to.be.a('number').and.at.least(0);
      expect(result[0]!.available).to.be.above(0);
      expect(calls.quota).to.equal(1);
      const remote = await s.api.quota();
      expect(result[0]).to.deep.equal({ used: remote.used, available: remote.free });
    });
  });

  describe('the root', () => {
    it('is a collection that lists the top-level folders', async () => {
      const root = await drive.stat('/');
      expect(root).to.include({ path: '/', isDir: true });
      expect((await drive.list('/')).map((e) => e.path)).to.include(dir);
    });

    it('cannot be written, deleted or made', async () => {
      expect(await codeOf(drive.write('/', bodyOf('x')))).to.equal('IS_A_DIRECTORY');
      expect(await codeOf(drive.remove('/'))).to.equal('READ_ONLY');
      expect(await codeOf(drive.mkdir('/'))).to.equal('EXISTS');
    });
  });
});
