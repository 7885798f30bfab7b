import { expect } from 'chai';
import { join } from 'node:path';
import { createTeraBoxDrive, type Drive } from '../../src/drive/index.js';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import { TeraBoxError } from '../../src/terabox/errors.js';
import { codeOf, get, put } from './harness.js';
import { driveCases, bodyOf, type Stack } from '../support/index.js';

describe('TeraBoxDrive over the emulator: server-side MOVE and COPY', () => {
  let s: Stack;
  let drive: Drive;
  let dir: string;
  const noBytes = ['superfile2', 'data', 'precreate', 'create'] as const;

  driveCases((c) => ({ s, drive, dir } = c));

  const names = async (path: string) => (await drive.list(path)).map((e) => e.name).sort();

  it('renames a file in place with filemanager only, and lists the result at once', async () => {
    await put(drive, `${dir}/a.txt`, 'alpha');
    const { result, calls } = await s.counting(['filemanager', ...noBytes], () =>
      drive.move(`${dir}/a.txt`, `${dir}/b.txt`, { overwrite: false }),
    );
    expect(result).to.deep.equal({ created: true });
    expect(calls).to.deep.equal({ filemanager: 1, superfile2: 0, data: 0, precreate: 0, create: 0 });
    expect(await names(dir)).to.deep.equal(['b.txt']);
    expect(s.emu.entry(`${dir}/a.txt`)).to.equal(null);
    expect((await get(drive, `${dir}/b.txt`)).toString()).to.equal('alpha');
  });

  it('moves a tree to another folder server-side, keeping its contents', async () => {
    await drive.mkdir(`${dir}/src`);
    await drive.mkdir(`${dir}/src/inner`);
    await put(drive, `${dir}/src/inner/f.txt`, 'deep');
    await drive.mkdir(`${dir}/dst`);
    await drive.list(`${dir}/src/inner`);
    const { calls } = await s.counting(['filemanager', ...noBytes], () =>
      drive.move(`${dir}/src`, `${dir}/dst/moved`, { overwrite: false }),
    );
    expect(calls.filemanager).to.be.at.least(1);
    expect([calls.superfile2, calls.data, calls.precreate, calls.create]).to.deep.equal([0, 0, 0, 0]);
    expect(await names(dir)).to.deep.equal(['dst']);
    expect(await drive.stat(`${dir}/src/inner/f.txt`)).to.equal(null);
    expect((await get(drive, `${dir}/dst/moved/inner/f.txt`)).toString()).to.equal('deep');
  });

  it('copies a file and a tree server-side, leaving the source in place', async () => {
    await drive.mkdir(`${dir}/t`);
    await put(drive, `${dir}/t/one.txt`, 'one');
    const { calls } = await s.counting(['filemanager', ...noBytes], async () => {
      expect(await drive.copy(`${dir}/t/one.txt`, `${dir}/one-copy.txt`, { overwrite: false, depth: 'infinity' })).to.deep.equal({
        created: true,
      });
      expect(await drive.copy(`${dir}/t`, `${dir}/t2`, { overwrite: false, depth: 'infinity' })).to.deep.equal({ created: true });
    });
    expect(calls.filemanager).to.equal(2);
    expect([calls.superfile2, calls.data, calls.precreate, calls.create]).to.deep.equal([0, 0, 0, 0]);
    expect(await names(dir)).to.deep.equal(['one-copy.txt', 't', 't2']);
    expect((await get(drive, `${dir}/t2/one.txt`)).toString()).to.equal('one');
    expect((await get(drive, `${dir}/t/one.txt`)).toString()).to.equal('one');
    expect((await drive.stat(`${dir}/one-copy.txt`))?.size).to.equal(3);
  });

  it('copies a collection at depth 0 as an empty collection', async () => {
    await drive.mkdir(`${dir}/full`);
    await put(drive, `${dir}/full/x.txt`, 'x');
    await drive.copy(`${dir}/full`, `${dir}/shell`, { overwrite: false, depth: 0 });
    expect((await drive.stat(`${dir}/shell`))?.isDir).to.equal(true);
    expect(await drive.list(`${dir}/shell`)).to.deep.equal([]);
    expect(s.emu.entry(`${dir}/shell/x.txt`)).to.equal(null);
  });

  it('refuses an existing destination without overwrite (EXISTS) and leaves both alone', async () => {
    await put(drive, `${dir}/a`, 'A');
    await put(drive, `${dir}/b`, 'B');
    expect(await codeOf(drive.move(`${dir}/a`, `${dir}/b`, { overwrite: false }))).to.equal('EXISTS');
    expect(await codeOf(drive.copy(`${dir}/a`, `${dir}/b`, { overwrite: false, depth: 'infinity' }))).to.equal('EXISTS');
    expect((await get(drive, `${dir}/a`)).toString()).to.equal('A');
    expect((await get(drive, `${dir}/b`)).toString()).to.equal('B');
  });

  it('replaces a file with overwrite and reports created=false', async () => {
    await put(drive, `${dir}/a`, 'new content');
    await put(drive, `${dir}/b`, 'old');
    expect(await drive.move(`${dir}/a`, `${dir}/b`, { overwrite: true })).to.deep.equal({ created: false });
    expect(await names(dir)).to.deep.equal(['b']);
    expect((await drive.stat(`${dir}/b`))?.size).to.equal(11);
    expect((await s.emu.readFile(`${dir}/b`)).toString()).to.equal('new content');
    await put(drive, `${dir}/c`, 'c!');
    expect(await drive.copy(`${dir}/c`, `${dir}/b`, { overwrite: true, depth: 'infinity' })).to.deep.equal({ created: false });
    expect((await get(drive, `${dir}/b`)).toString()).to.equal('c!');
  });

  it('replaces a whole folder with overwrite: the old contents are gone and no aside copy is left', async () => {
    await drive.mkdir(`${dir}/new`);
    await put(drive, `${dir}/new/n.txt`, 'n');
    await drive.mkdir(`${dir}/old`);
    await put(drive, `${dir}/old/o.txt`, 'o');
    await put(drive, `${dir}/old/.DS_Store`, 'old junk');
    expect(await drive.move(`${dir}/new`, `${dir}/old`, { overwrite: true })).to.deep.equal({ created: false });
    expect(await names(dir)).to.deep.equal(['old']);
    expect(await names(`${dir}/old`)).to.deep.equal(['n.txt']);
    const fresh = await s.restartDrive();
    expect((await fresh.list(dir)).map((e) => e.name)).to.deep.equal(['old']);
    expect((await fresh.list(`${dir}/old`)).map((e) => e.name)).to.deep.equal(['n.txt']);
  });

  it('replaces a file by a folder and a folder by a file', async () => {
    await drive.mkdir(`${dir}/folder`);
    await put(drive, `${dir}/file`, 'file');
    await drive.copy(`${dir}/folder`, `${dir}/file`, { overwrite: true, depth: 'infinity' });
    expect((await drive.stat(`${dir}/file`))?.isDir).to.equal(true);
    await put(drive, `${dir}/f2`, 'f2');
    await drive.move(`${dir}/f2`, `${dir}/folder`, { overwrite: true });
    expect((await drive.stat(`${dir}/folder`))?.isDir).to.equal(false);
    expect((await get(drive, `${dir}/folder`)).toString()).to.equal('f2');
    expect(await names(dir)).to.deep.equal(['file', 'folder']);
  });

  it('replaces a 0-byte local file with a TeraBox file', async () => {
    await put(drive, `${dir}/real`, 'real');
    await drive.write(`${dir}/placeholder`, bodyOf(''), { size: 0 });
    expect(await drive.move(`${dir}/real`, `${dir}/placeholder`, { overwrite: true })).to.deep.equal({ created: false });
    expect((await get(drive, `${dir}/placeholder`)).toString()).to.equal('real');
    expect(s.overlayRows()).to.equal(0);
  });

  describe('a local file replacing a TeraBox entry while TeraBox fails', () => {
    /** The stack's API with one filemanager operation failing as TeraBox does after its retries. */
    function failing(op: 'delete' | 'rename'): TeraBoxApi {
      const down = () =>
        Promise.reject(
          new TeraBoxError('/api/filemanager: server error 502', { code: 'TRANSIENT', status: 502, endpoint: '/api/filemanager' }),
        );
      return Object.create(s.api, { [op]: { value: down } }) as TeraBoxApi;
    }
    const onFailing = (op: 'delete' | 'rename') =>
      createTeraBoxDrive({ api: failing(op), uploader: s.uploader, db: s.db, overlayDir: join(s.tmp, `overlay-${op}-${Math.random()}`) });

    it('keeps the source and the destination file when the old file cannot be set aside', async () => {
      await put(drive, `${dir}/doc.txt`, 'old content');
      const d = onFailing('rename');
      try {
        await d.write(`${dir}/emptied`, bodyOf(''), { size: 0 });
        expect(await codeOf(d.move(`${dir}/emptied`, `${dir}/doc.txt`, { overwrite: true }))).to.equal('UPSTREAM');
        expect((await d.stat(`${dir}/emptied`))?.size).to.equal(0);
        expect((await get(d, `${dir}/doc.txt`)).toString()).to.equal('old content');
      } finally {
        await d.close();
      }
    });

    it('lands a 0-byte file on a TeraBox file, keeping the old one aside when TeraBox cannot delete it', async () => {
      await put(drive, `${dir}/doc.txt`, 'old content');
      const d = onFailing('delete');
      try {
        await d.write(`${dir}/emptied`, bodyOf(''), { size: 0 });
        expect(await d.move(`${dir}/emptied`, `${dir}/doc.txt`, { overwrite: true })).to.deep.equal({ created: false });
        expect(await d.stat(`${dir}/emptied`)).to.equal(null);
        expect((await d.stat(`${dir}/doc.txt`))?.size).to.equal(0);
        const aside = (await s.api.list(dir)).filter((e) => e.name.endsWith('.replaced'));
        expect(aside).to.have.length(1);
        expect((await s.emu.readFile(aside[0]!.path)).toString()).to.equal('old content');
      } finally {
        await d.close();
      }
    });

    it('keeps a replaced folder whole, its local files included, when TeraBox cannot delete it', async () => {
      await drive.mkdir(`${dir}/folder`);
      await put(drive, `${dir}/folder/kept.txt`, 'kept');
      await drive.write(`${dir}/folder/empty.txt`, bodyOf(''), { size: 0 });
      const d = onFailing('delete');
      try {
        await d.write(`${dir}/file`, bodyOf(''), { size: 0 });
        await d.move(`${dir}/file`, `${dir}/folder`, { overwrite: true });
        expect((await d.stat(`${dir}/folder`))?.isDir).to.equal(false);
        const [aside] = (await s.api.list(dir)).filter((e) => e.name.endsWith('.replaced'));
        expect(aside?.isDir).to.equal(true);
        expect((await s.emu.readFile(`${aside!.path}/kept.txt`)).toString()).to.equal('kept');
        expect((await d.stat(`${aside!.path}/empty.txt`))?.size).to.equal(0);
      } finally {
        await d.close();
      }
    });
  });

  it('never lists the aside name of a replaced folder, even when the folder around it was listed meanwhile', async () => {
    await drive.mkdir(`${dir}/new`);
    await drive.mkdir(`${dir}/old`);
    await put(drive, `${dir}/gone.txt`, 'deleted outside the drive');
    let d!: Drive;
    // While TeraBox copies, a reader's listing of the folder is dropped and listed again: TeraBox
    // then holds the old folder under its aside name, and that listing is cached.
    const api: TeraBoxApi = Object.create(s.api, {
      copy: {
        value: async (...args: Parameters<TeraBoxApi['copy']>) => {
          await s.api.delete([`${dir}/gone.txt`]);
          expect(await codeOf(d.read(`${dir}/gone.txt`))).to.equal('NOT_FOUND');
          expect((await d.list(dir)).some((e) => e.name.endsWith('.replaced'))).to.equal(true);
          return s.api.copy(...args);
        },
      },
    });
    d = createTeraBoxDrive({ api, uploader: s.uploader, db: s.db, overlayDir: join(s.tmp, `overlay-aside-${Math.random()}`) });
    try {
      expect(await d.copy(`${dir}/new`, `${dir}/old`, { overwrite: true, depth: 'infinity' })).to.deep.equal({ created: false });
      expect((await d.list(dir)).map((e) => e.name).sort()).to.deep.equal(['new', 'old']);
    } finally {
      await d.close();
    }
  });

  it('replaces a destination that was deleted outside the drive since it was listed', async () => {
    await drive.mkdir(`${dir}/folder`);
    await put(drive, `${dir}/file.txt`, 'file');
    await drive.write(`${dir}/empty`, bodyOf(''), { size: 0 });
    await put(drive, `${dir}/old.txt`, 'old');
    await drive.list(dir);
    await s.api.delete([`${dir}/folder`, `${dir}/old.txt`]);
    expect(await drive.move(`${dir}/file.txt`, `${dir}/folder`, { overwrite: true })).to.deep.equal({ created: false });
    expect(await drive.move(`${dir}/empty`, `${dir}/old.txt`, { overwrite: true })).to.deep.equal({ created: false });
    expect((await get(drive, `${dir}/folder`)).toString()).to.equal('file');
    expect((await drive.stat(`${dir}/old.txt`))?.size).to.equal(0);
    expect(await names(dir)).to.deep.equal(['folder', 'old.txt']);
  });

  it('reports NOT_FOUND for a source moved away outside the drive, then sees the drive as it is', async () => {
    await put(drive, `${dir}/here.txt`, 'here');
    await s.api.rename([{ path: `${dir}/here.txt`, newname: 'there.txt' }]);
    expect((await drive.stat(`${dir}/here.txt`))?.size).to.equal(4);
    expect(await codeOf(drive.move(`${dir}/here.txt`, `${dir}/moved.txt`, { overwrite: false }))).to.equal('NOT_FOUND');
    expect(await names(dir)).to.deep.equal(['there.txt']);
  });

  it('answers SAME_PATH, INTO_ITSELF, NOT_FOUND and PARENT_MISSING', async () => {
    await drive.mkdir(`${dir}/d`);
    await put(drive, `${dir}/f`, 'f');
    expect(await codeOf(drive.move(`${dir}/d`, `${dir}/d/`, { overwrite: true }))).to.equal('SAME_PATH');
    expect(await codeOf(drive.move(`${dir}/d`, `${dir}/d/inside`, { overwrite: false }))).to.equal('INTO_ITSELF');
    expect(await codeOf(drive.copy(`${dir}/d`, `${dir}/d/inside`, { overwrite: false, depth: 'infinity' }))).to.equal('INTO_ITSELF');
    expect(await codeOf(drive.move(`${dir}/nothing`, `${dir}/x`, { overwrite: false }))).to.equal('NOT_FOUND');
    expect(await codeOf(drive.move(`${dir}/f`, `${dir}/no/such/dir`, { overwrite: false }))).to.equal('PARENT_MISSING');
    expect(await codeOf(drive.copy(`${dir}/f`, `${dir}/f/under-a-file`, { overwrite: false, depth: 0 }))).to.equal('NOT_A_DIRECTORY');
    expect(await names(dir)).to.deep.equal(['d', 'f']);
  });
});
