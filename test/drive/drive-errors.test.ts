import { expect } from 'chai';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createTeraBoxDrive, type Drive } from '../../src/drive/index.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import { createUploader } from '../../src/upload/index.js';
import { codeOf, get, put } from './harness.js';
import { bytes, driveCases, bodyOf, type Stack } from '../support/index.js';

describe('TeraBoxDrive over the emulator: errors', () => {
  let s: Stack;
  let drive: Drive;
  let dir: string;

  driveCases((c) => ({ s, drive, dir } = c));

  it('PUT: PARENT_MISSING, NOT_A_DIRECTORY under a file, IS_A_DIRECTORY on a collection', async () => {
    await put(drive, `${dir}/file`, 'f');
    expect(await codeOf(put(drive, `${dir}/missing/x.txt`, 'x'))).to.equal('PARENT_MISSING');
    expect(await codeOf(put(drive, `${dir}/file/x.txt`, 'x'))).to.equal('NOT_A_DIRECTORY');
    expect(await codeOf(put(drive, dir, 'x'))).to.equal('IS_A_DIRECTORY');
    expect(await codeOf(put(drive, `${dir}/missing/.DS_Store`, 'x'))).to.equal('PARENT_MISSING');
  });

  it('MKCOL: EXISTS for a file or folder, PARENT_MISSING without a parent', async () => {
    await put(drive, `${dir}/file`, 'f');
    await drive.write(`${dir}/empty`, bodyOf(''));
    expect(await codeOf(drive.mkdir(dir))).to.equal('EXISTS');
    expect(await codeOf(drive.mkdir(`${dir}/file`))).to.equal('EXISTS');
    expect(await codeOf(drive.mkdir(`${dir}/empty`))).to.equal('EXISTS');
    expect(await codeOf(drive.mkdir(`${dir}/a/b`))).to.equal('PARENT_MISSING');
  });

  it('DELETE and GET of nothing: NOT_FOUND; listing a file: NOT_A_DIRECTORY; listing nothing: NOT_FOUND', async () => {
    await put(drive, `${dir}/file`, 'f');
    expect(await codeOf(drive.remove(`${dir}/nothing`))).to.equal('NOT_FOUND');
    expect(await codeOf(drive.read(`${dir}/nothing`))).to.equal('NOT_FOUND');
    expect(await codeOf(drive.list(`${dir}/file`))).to.equal('NOT_A_DIRECTORY');
    expect(await codeOf(drive.list(`${dir}/nothing`))).to.equal('NOT_FOUND');
  });

  it('names TeraBox refuses: INVALID_NAME, with nothing stored', async () => {
    expect(await codeOf(put(drive, `${dir}/bad:name.txt`, 'x'))).to.equal('INVALID_NAME');
    expect(await codeOf(drive.mkdir(`${dir}/bad|dir`))).to.equal('INVALID_NAME');
    expect(await codeOf(drive.stat(`${dir}/../etc`))).to.equal('INVALID_NAME');
    expect(await drive.list(dir)).to.deep.equal([]);
  });

  it('refuses a refused name before creating anything: no 0-byte placeholder, no upload, no rename', async () => {
    await put(drive, `${dir}/good.txt`, 'keep');
    const { calls } = await s.counting(['precreate', 'superfile2', 'create', 'filemanager'], async () => {
      // Finder and Explorer start every copy with a 0-byte PUT, which TeraBox never sees.
      expect(await codeOf(drive.write(`${dir}/what?.txt`, bodyOf('')))).to.equal('INVALID_NAME');
      expect(await codeOf(drive.write(`${dir}/a"quote".txt`, bodyOf('x'), { size: 1 }))).to.equal('INVALID_NAME');
      expect(await codeOf(put(drive, `${dir}/${'n'.repeat(256)}`, 'x'))).to.equal('INVALID_NAME');
      expect(await codeOf(drive.move(`${dir}/good.txt`, `${dir}/bad*.txt`, { overwrite: false }))).to.equal('INVALID_NAME');
      expect(await codeOf(drive.copy(`${dir}/good.txt`, `${dir}/bad<.txt`, { overwrite: false, depth: 'infinity' }))).to.equal(
        'INVALID_NAME',
      );
    });
    expect(calls).to.deep.equal({ precreate: 0, superfile2: 0, create: 0, filemanager: 0 });
    expect(s.overlayRows()).to.equal(0);
    expect((await drive.list(dir)).map((e) => e.name)).to.deep.equal(['good.txt']);
    // A name of 255 bytes is fine, and junk names stay local whatever their characters.
    await put(drive, `${dir}/${'n'.repeat(255)}`, 'x');
    await drive.write(`${dir}/._what?.txt`, bodyOf('apple double'));
    expect((await get(drive, `${dir}/._what?.txt`)).toString()).to.equal('apple double');
  });

  it('a read-only drive refuses every write with READ_ONLY and still reads', async () => {
    await put(drive, `${dir}/keep.txt`, 'kept');
    const ro = await s.restartDrive({ readOnly: true });
    expect(await codeOf(put(ro, `${dir}/new.txt`, 'x'))).to.equal('READ_ONLY');
    expect(await codeOf(ro.mkdir(`${dir}/d`))).to.equal('READ_ONLY');
    expect(await codeOf(ro.remove(`${dir}/keep.txt`))).to.equal('READ_ONLY');
    expect(await codeOf(ro.move(`${dir}/keep.txt`, `${dir}/k2`, { overwrite: false }))).to.equal('READ_ONLY');
    expect(await codeOf(ro.copy(`${dir}/keep.txt`, `${dir}/k2`, { overwrite: false, depth: 0 }))).to.equal('READ_ONLY');
    expect((await get(ro, `${dir}/keep.txt`)).toString()).to.equal('kept');
    expect(s.emu.entry(`${dir}/keep.txt`)).to.not.equal(null);
  });

  it('an aborted PUT answers ABORTED and leaves the old version intact', async () => {
    await put(drive, `${dir}/doc.bin`, 'old version');
    const ac = new AbortController();
    async function* slow() {
      yield bytes(100_000, 5);
      ac.abort();
      await new Promise((r) => setTimeout(r, 50));
      yield bytes(100_000, 6);
    }
    const code = await codeOf(drive.write(`${dir}/doc.bin`, Readable.from(slow()), { size: 200_000, signal: ac.signal }));
    expect(code).to.equal('ABORTED');
    expect((await get(drive, `${dir}/doc.bin`)).toString()).to.equal('old version');
    expect((await s.emu.readFile(`${dir}/doc.bin`)).toString()).to.equal('old version');
  });

  it('a body over the per-file limit: TOO_LARGE before anything is sent', async () => {
    const uploader = createUploader({
      api: s.api,
      spoolDir: join(s.tmp, 'spool-small'),
      journalPath: join(s.tmp, 'journal-small.db'),
      maxFileSize: 1000,
    });
    const small = createTeraBoxDrive({ api: s.api, uploader, db: s.db, overlayDir: join(s.tmp, 'overlay-small') });
    try {
      const { result, calls } = await s.counting(['precreate', 'superfile2'], () =>
        codeOf(small.write(`${dir}/big.bin`, bodyOf(bytes(2000)), { size: 2000 })),
      );
      expect(result).to.equal('TOO_LARGE');
      expect(calls).to.deep.equal({ precreate: 0, superfile2: 0 });
    } finally {
      await small.close();
      await uploader.close();
    }
  });

  it('an account out of space: QUOTA', async () => {
    const { cookie } = s.emu.addAccount({ quotaBytes: 1000 });
    const api = createTeraBoxClient({ baseUrl: s.emu.url, cookie, retry: { attempts: 1 } });
    const uploader = createUploader({
      api,
      spoolDir: join(s.tmp, 'spool-quota'),
      journalPath: join(s.tmp, 'journal-quota.db'),
      rapidUpload: false,
    });
    const full = createTeraBoxDrive({ api, uploader, db: s.db, overlayDir: join(s.tmp, 'overlay-quota') });
    try {
      expect(await codeOf(full.write('/too-much.bin', bodyOf(bytes(5000)), { size: 5000 }))).to.equal('QUOTA');
      expect(await full.stat('/too-much.bin')).to.equal(null);
      expect((await full.quota()).available).to.be.at.most(1000);
    } finally {
      await full.close();
      await uploader.close();
      await api.close();
    }
  });

  it('TeraBox failing after retries: UPSTREAM, and the drive works again once it recovers', async () => {
    s.emu.setKnobs({ faults: { list: { http5xx: 1 } } });
    try {
      expect(await codeOf(drive.list(dir))).to.equal('UPSTREAM');
    } finally {
      s.emu.setKnobs({ faults: {} });
    }
    expect(await drive.list(dir)).to.deep.equal([]);
  });

  it('TeraBox rate-limiting: UNAVAILABLE', async () => {
    s.emu.setKnobs({ faults: { quota: { errno31034: 1 } } });
    try {
      expect(await codeOf(drive.quota())).to.equal('UNAVAILABLE');
    } finally {
      s.emu.setKnobs({ faults: {} });
    }
  });

  it('a closed drive answers UNAVAILABLE', async () => {
    await drive.close();
    expect(await codeOf(drive.stat('/'))).to.equal('UNAVAILABLE');
    expect(await codeOf(drive.quota())).to.equal('UNAVAILABLE');
  });
});
