import { expect } from 'chai';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createTeraBoxDrive, type Drive } from '../../src/drive/index.js';
import { createUploader } from '../../src/upload/index.js';
import { codeOf, get, put } from './harness.js';
import { bytes, driveCases, bodyOf, type Stack } from '../support/index.js';
import { waitFor } from '../support/wait-for.js';

/** Files under dir that this process holds open (Linux: /proc/self/fd). */
function openFilesUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) open.push(target);
    } catch {
      // Closed while we looked.
    }
  }
  return open;
}

describe('TeraBoxDrive over the emulator: 0-byte and junk files in the overlay', () => {
  let s: Stack;
  let drive: Drive;
  let dir: string;

  driveCases((c) => ({ s, drive, dir } = c));

  describe('0-byte files', () => {
    it('keeps an empty PUT locally: listed with size 0, readable, never sent to TeraBox', async () => {
      const { result, calls } = await s.counting(['precreate', 'create', 'superfile2', 'rapidupload'], () =>
        drive.write(`${dir}/empty.txt`, bodyOf(''), { size: 0 }),
      );
      expect(result.created).to.equal(true);
      expect(result.entry).to.include({ size: 0, isDir: false, contentType: 'text/plain' });
      expect(calls).to.deep.equal({ precreate: 0, create: 0, superfile2: 0, rapidupload: 0 });
      expect(s.emu.entry(`${dir}/empty.txt`)).to.equal(null);
      expect((await drive.list(dir)).map((e) => [e.name, e.size])).to.deep.equal([['empty.txt', 0]]);
      expect((await get(drive, `${dir}/empty.txt`)).length).to.equal(0);
    });

    it('survives a restart of the drive', async () => {
      await drive.write(`${dir}/empty.txt`, bodyOf(''));
      const { etag } = (await drive.stat(`${dir}/empty.txt`))!;
      const again = await s.restartDrive();
      const entry = await again.stat(`${dir}/empty.txt`);
      expect(entry).to.include({ size: 0, etag });
    });

    it('goes to TeraBox and leaves the overlay once it gets content (Finder: empty PUT, then real PUT)', async () => {
      await drive.write(`${dir}/doc.txt`, bodyOf(''), { size: 0 });
      const second = await put(drive, `${dir}/doc.txt`, 'real content');
      expect(second.created).to.equal(false);
      expect(s.overlayRows()).to.equal(0);
      expect((await s.emu.readFile(`${dir}/doc.txt`)).toString()).to.equal('real content');
      expect((await drive.list(dir)).map((e) => [e.name, e.size])).to.deep.equal([['doc.txt', 12]]);
      expect((await get(drive, `${dir}/doc.txt`)).toString()).to.equal('real content');
    });

    it('replaces a TeraBox file when emptied, deleting the remote copy only after the local row exists', async () => {
      await put(drive, `${dir}/shrink.txt`, 'has bytes');
      const emptied = await drive.write(`${dir}/shrink.txt`, bodyOf(''), { size: 0 });
      expect(emptied.created).to.equal(false);
      expect(s.emu.entry(`${dir}/shrink.txt`)).to.equal(null);
      expect((await drive.stat(`${dir}/shrink.txt`))?.size).to.equal(0);
      expect((await s.restartDrive().then((d) => d.stat(`${dir}/shrink.txt`)))?.size).to.equal(0);
    });

    it('moves, copies and deletes like any file', async () => {
      await drive.mkdir(`${dir}/to`);
      await drive.write(`${dir}/e`, bodyOf(''));
      expect((await drive.move(`${dir}/e`, `${dir}/to/e2`, { overwrite: false })).created).to.equal(true);
      expect(await drive.stat(`${dir}/e`)).to.equal(null);
      expect(await drive.copy(`${dir}/to/e2`, `${dir}/e3`, { overwrite: false, depth: 'infinity' })).to.deep.equal({ created: true });
      expect((await drive.list(`${dir}/to`)).map((e) => e.name)).to.deep.equal(['e2']);
      expect((await drive.stat(`${dir}/e3`))?.size).to.equal(0);
      await drive.remove(`${dir}/to/e2`);
      await drive.remove(`${dir}/e3`);
      expect(await drive.list(`${dir}/to`)).to.deep.equal([]);
      expect(s.overlayRows()).to.equal(0);
    });
  });

  describe('OS junk', () => {
    it('keeps AppleDouble and .DS_Store files (with bytes) locally, never on TeraBox', async () => {
      const apple = bytes(4096, 9);
      const { calls } = await s.counting(['precreate', 'create', 'superfile2', 'rapidupload'], async () => {
        await put(drive, `${dir}/._photo.jpg`, apple);
        await put(drive, `${dir}/.DS_Store`, 'finder state');
        await put(drive, `${dir}/Thumbs.db`, 'thumbs');
      });
      expect(calls).to.deep.equal({ precreate: 0, create: 0, superfile2: 0, rapidupload: 0 });
      expect(s.emu.entry(`${dir}/._photo.jpg`)).to.equal(null);
      expect((await drive.list(dir)).map((e) => [e.name, e.size]).sort()).to.deep.equal([
        ['.DS_Store', 12],
        ['._photo.jpg', 4096],
        ['Thumbs.db', 6],
      ]);
      expect((await get(drive, `${dir}/._photo.jpg`)).equals(apple)).to.equal(true);
      expect((await get(drive, `${dir}/._photo.jpg`, { start: 100, end: 199 })).equals(apple.subarray(100, 200))).to.equal(true);
    });

    it('survives a restart with its bytes', async () => {
      await put(drive, `${dir}/.DS_Store`, 'finder state');
      const again = await s.restartDrive();
      expect((await get(again, `${dir}/.DS_Store`)).toString()).to.equal('finder state');
    });

    it('travels with its folder when the folder is moved, copied or deleted on TeraBox', async () => {
      await drive.mkdir(`${dir}/album`);
      await put(drive, `${dir}/album/photo.jpg`, 'jpeg bytes');
      await put(drive, `${dir}/album/._photo.jpg`, 'xattrs');
      await drive.mkdir(`${dir}/only-junk`);
      await put(drive, `${dir}/only-junk/.DS_Store`, 'ds');

      await drive.move(`${dir}/album`, `${dir}/moved`, { overwrite: false });
      expect((await drive.list(`${dir}/moved`)).map((e) => e.name).sort()).to.deep.equal(['._photo.jpg', 'photo.jpg']);
      expect((await get(drive, `${dir}/moved/._photo.jpg`)).toString()).to.equal('xattrs');
      expect(await drive.stat(`${dir}/album/._photo.jpg`)).to.equal(null);

      await drive.copy(`${dir}/moved`, `${dir}/copied`, { overwrite: false, depth: 'infinity' });
      expect((await get(drive, `${dir}/copied/._photo.jpg`)).toString()).to.equal('xattrs');
      expect((await get(drive, `${dir}/moved/._photo.jpg`)).toString()).to.equal('xattrs');

      // A folder holding only overlay files still exists upstream, so it moves there too.
      await drive.move(`${dir}/only-junk`, `${dir}/junk-moved`, { overwrite: false });
      expect(s.emu.entry(`${dir}/junk-moved`)?.isDir).to.equal(true);
      expect((await get(drive, `${dir}/junk-moved/.DS_Store`)).toString()).to.equal('ds');

      await drive.remove(`${dir}/copied`);
      expect(await drive.stat(`${dir}/copied/._photo.jpg`)).to.equal(null);
      expect(s.overlayRows()).to.equal(2);
    });

    it('moves and copies with its bytes under another junk name', async () => {
      await drive.mkdir(`${dir}/elsewhere`);
      await put(drive, `${dir}/._a`, 'apple double');
      await drive.move(`${dir}/._a`, `${dir}/elsewhere/._b`, { overwrite: false });
      await drive.copy(`${dir}/elsewhere/._b`, `${dir}/._c`, { overwrite: false, depth: 'infinity' });
      expect(await drive.stat(`${dir}/._a`)).to.equal(null);
      expect((await get(drive, `${dir}/elsewhere/._b`)).toString()).to.equal('apple double');
      expect((await get(drive, `${dir}/._c`)).toString()).to.equal('apple double');
      expect(s.emu.entry(`${dir}/._c`)).to.equal(null);
    });

    it('goes to TeraBox when renamed to an ordinary name', async () => {
      await put(drive, `${dir}/._draft`, 'now a real file');
      await drive.move(`${dir}/._draft`, `${dir}/final.txt`, { overwrite: false });
      expect((await s.emu.readFile(`${dir}/final.txt`)).toString()).to.equal('now a real file');
      expect(s.overlayRows()).to.equal(0);
      expect((await drive.list(dir)).map((e) => e.name)).to.deep.equal(['final.txt']);
    });

    it('stays on TeraBox when a TeraBox file is renamed to a junk name (server-side, no download)', async () => {
      await put(drive, `${dir}/meta`, 'metadata');
      const { calls } = await s.counting(['data', 'superfile2'], () => drive.move(`${dir}/meta`, `${dir}/._meta`, { overwrite: false }));
      expect(calls).to.deep.equal({ data: 0, superfile2: 0 });
      expect((await get(drive, `${dir}/._meta`)).toString()).to.equal('metadata');
    });

    it('replaces a TeraBox file of the same name, removing the remote one', async () => {
      await s.api.mkdir(`${dir}/w`);
      await put(drive, `${dir}/w/plain`, 'x');
      // A junk-named file put on TeraBox by someone else (the web UI), then written through the drive.
      await s.api.rename([{ path: `${dir}/w/plain`, newname: 'desktop.ini' }]);
      const fresh = await s.restartDrive();
      const written = await put(fresh, `${dir}/w/desktop.ini`, '[.ShellClassInfo]');
      expect(written.created).to.equal(false);
      expect(s.emu.entry(`${dir}/w/desktop.ini`)).to.equal(null);
      expect((await get(fresh, `${dir}/w/desktop.ini`)).toString()).to.equal('[.ShellClassInfo]');
    });

    it('keeps a junk file, and holds no file open, when TeraBox refuses it under an ordinary name', async function () {
      if (!existsSync('/proc/self/fd')) this.skip();
      const overlayDir = join(s.tmp, 'overlay-refused');
      const uploader = createUploader({
        api: s.api,
        spoolDir: join(s.tmp, 'spool-refused'),
        journalPath: join(s.tmp, 'journal-refused.db'),
        maxFileSize: 10,
      });
      const small = createTeraBoxDrive({ api: s.api, uploader, db: s.db, overlayDir });
      try {
        await put(small, `${dir}/._big`, 'more than ten bytes');
        expect(await codeOf(small.move(`${dir}/._big`, `${dir}/big.txt`, { overwrite: false }))).to.equal('TOO_LARGE');
        expect((await get(small, `${dir}/._big`)).toString()).to.equal('more than ten bytes');
        expect(await small.stat(`${dir}/big.txt`)).to.equal(null);
        await waitFor(() => openFilesUnder(overlayDir).length === 0, { what: 'no overlay file is left open' });
      } finally {
        await small.close();
        await uploader.close();
      }
    });

    it('refuses a junk body that ends before its declared size and keeps the old one', async () => {
      await put(drive, `${dir}/._x`, 'old');
      expect(await codeOf(drive.write(`${dir}/._x`, bodyOf('short'), { size: 100 }))).to.equal('ABORTED');
      expect((await get(drive, `${dir}/._x`)).toString()).to.equal('old');
    });
  });
});
