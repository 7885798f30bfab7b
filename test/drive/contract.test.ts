// The Drive contract (src/drive/types.ts): what each method returns and which DriveErrorCode it
// throws in each case, as one suite run against every implementation — TeraBoxDrive over the
// emulator, and the MemoryDrive the WebDAV tests stand on — so the WebDAV tests test against a drive
// that behaves like the real one (rclone's fstests and undici's cache-store suite do the same).

import { expect } from 'chai';
import type { Drive, DriveErrorCode, Entry } from '../../src/drive/types.js';
import { MemoryDrive } from '../dav/memory-drive.js';
import { startStack, type Stack } from '../support/index.js';
import { codeOf, get, put } from './harness.js';

interface Subject {
  drive: Drive;
  /** A folder of this test case's own, so cases never see each other's files. */
  base: string;
}

interface Implementation {
  name: string;
  setUp(): Promise<void>;
  fresh(): Promise<Subject>;
  tearDown(): Promise<void>;
}

const memory = (): Implementation => {
  let drive: MemoryDrive;
  let n = 0;
  return {
    name: 'MemoryDrive (test/dav/memory-drive.ts)',
    setUp: async () => {
      drive = new MemoryDrive();
    },
    fresh: async () => {
      const base = `/case-${++n}`;
      await drive.mkdir(base);
      return { drive, base };
    },
    tearDown: () => drive.close(),
  };
};

const teraBox = (): Implementation => {
  let s: Stack;
  return {
    name: 'TeraBoxDrive over the emulator',
    setUp: async () => {
      s = await startStack({ smallParts: true });
    },
    fresh: async () => {
      const drive = await s.freshDrive();
      return { drive, base: await s.caseDir() };
    },
    tearDown: () => s.stop(),
  };
};

const CODES = {
  expect: async (p: Promise<unknown>, code: DriveErrorCode | 'resolved') => expect(await codeOf(p)).to.equal(code),
};

const names = (entries: Entry[]) => entries.map((e) => e.name).sort();

for (const impl of [memory(), teraBox()]) {
  describe(`Drive contract: ${impl.name}`, () => {
    let drive: Drive;
    let base: string;
    before(() => impl.setUp());
    after(() => impl.tearDown());
    beforeEach(async () => {
      ({ drive, base } = await impl.fresh());
    });

    describe('stat', () => {
      it('answers the root as a collection', async () => {
        const root = await drive.stat('/');
        expect(root).to.include({ path: '/', isDir: true });
      });

      it('answers null for a path where nothing is', async () => {
        expect(await drive.stat(`${base}/nothing`)).to.equal(null);
        expect(await drive.stat(`${base}/nothing/below`)).to.equal(null);
      });

      it('answers a file with its name, size, type and a quoted strong ETag', async () => {
        await put(drive, `${base}/a.txt`, 'hello');
        const e = (await drive.stat(`${base}/a.txt`))!;
        expect(e).to.include({ path: `${base}/a.txt`, name: 'a.txt', isDir: false, size: 5, contentType: 'text/plain' });
        expect(e.etag).to.match(/^"[^"]+"$/);
        expect(e.mtime).to.be.instanceOf(Date);
      });
    });

    describe('list', () => {
      it('lists the direct members only', async () => {
        await drive.mkdir(`${base}/d`);
        await put(drive, `${base}/d/one.bin`, 'x');
        await drive.mkdir(`${base}/d/sub`);
        await put(drive, `${base}/d/sub/deep.bin`, 'y');
        expect(names(await drive.list(`${base}/d`))).to.deep.equal(['one.bin', 'sub']);
        expect(names(await drive.list(`${base}/d/sub`))).to.deep.equal(['deep.bin']);
      });

      it('throws NOT_FOUND for a missing collection and NOT_A_DIRECTORY for a file', async () => {
        await put(drive, `${base}/f`, 'x');
        await CODES.expect(drive.list(`${base}/missing`), 'NOT_FOUND');
        await CODES.expect(drive.list(`${base}/f`), 'NOT_A_DIRECTORY');
      });
    });

    describe('read', () => {
      it('returns the whole file, or the inclusive byte range asked for', async () => {
        const data = Buffer.from('0123456789');
        await put(drive, `${base}/r.bin`, data);
        expect((await get(drive, `${base}/r.bin`)).equals(data)).to.equal(true);
        expect((await get(drive, `${base}/r.bin`, { start: 2, end: 4 })).toString()).to.equal('234');
        const { entry, stream } = await drive.read(`${base}/r.bin`);
        stream.resume();
        expect(entry.size).to.equal(10);
      });

      it('throws NOT_FOUND for a missing file and IS_A_DIRECTORY for a collection', async () => {
        await CODES.expect(drive.read(`${base}/missing`), 'NOT_FOUND');
        await CODES.expect(drive.read(base), 'IS_A_DIRECTORY');
      });
    });

    describe('write', () => {
      it('creates a file (created: true), then replaces it (created: false) with a new ETag', async () => {
        const first = await put(drive, `${base}/w.txt`, 'one');
        expect(first.created).to.equal(true);
        expect(first.entry).to.include({ size: 3, isDir: false });
        const second = await put(drive, `${base}/w.txt`, 'two!');
        expect(second.created).to.equal(false);
        expect(second.entry.etag).to.not.equal(first.entry.etag);
        expect((await get(drive, `${base}/w.txt`)).toString()).to.equal('two!');
      });

      it('stores an empty file', async () => {
        expect((await put(drive, `${base}/empty`, '')).created).to.equal(true);
        expect(await drive.stat(`${base}/empty`)).to.include({ size: 0, isDir: false });
        expect((await get(drive, `${base}/empty`)).length).to.equal(0);
      });

      it('throws PARENT_MISSING, NOT_A_DIRECTORY, IS_A_DIRECTORY and INVALID_NAME', async () => {
        await put(drive, `${base}/file`, 'x');
        await drive.mkdir(`${base}/dir`);
        await CODES.expect(put(drive, `${base}/no-such-dir/f`, 'x'), 'PARENT_MISSING');
        await CODES.expect(put(drive, `${base}/file/f`, 'x'), 'NOT_A_DIRECTORY');
        // Only the parent itself is looked at: below a file's non-existent child, the parent is missing.
        await CODES.expect(put(drive, `${base}/file/deeper/f`, 'x'), 'PARENT_MISSING');
        await CODES.expect(put(drive, `${base}/dir`, 'x'), 'IS_A_DIRECTORY');
        await CODES.expect(put(drive, '/', 'x'), 'IS_A_DIRECTORY');
        await CODES.expect(put(drive, `${base}/back\\slash`, 'x'), 'INVALID_NAME');
        expect((await get(drive, `${base}/file`)).toString()).to.equal('x');
      });
    });

    describe('mkdir', () => {
      it('creates a collection', async () => {
        const e = await drive.mkdir(`${base}/m`);
        expect(e).to.include({ path: `${base}/m`, name: 'm', isDir: true });
        expect((await drive.stat(`${base}/m`))?.isDir).to.equal(true);
      });

      it('throws EXISTS over a collection, a file or the root, and PARENT_MISSING below nothing', async () => {
        await drive.mkdir(`${base}/m`);
        await put(drive, `${base}/f`, 'x');
        await CODES.expect(drive.mkdir(`${base}/m`), 'EXISTS');
        await CODES.expect(drive.mkdir(`${base}/f`), 'EXISTS');
        await CODES.expect(drive.mkdir('/'), 'EXISTS');
        await CODES.expect(drive.mkdir(`${base}/none/m`), 'PARENT_MISSING');
      });
    });

    describe('remove', () => {
      it('removes a file and a whole tree', async () => {
        await put(drive, `${base}/f`, 'x');
        await drive.mkdir(`${base}/t`);
        await put(drive, `${base}/t/inner`, 'y');
        await drive.remove(`${base}/f`);
        await drive.remove(`${base}/t`);
        expect(await drive.stat(`${base}/f`)).to.equal(null);
        expect(await drive.stat(`${base}/t/inner`)).to.equal(null);
        expect(names(await drive.list(base))).to.deep.equal([]);
      });

      it('throws NOT_FOUND for nothing, and READ_ONLY for the root', async () => {
        await CODES.expect(drive.remove(`${base}/missing`), 'NOT_FOUND');
        await CODES.expect(drive.remove('/'), 'READ_ONLY');
      });
    });

    describe('move', () => {
      it('renames a file (created: true) and a tree, the source gone', async () => {
        await put(drive, `${base}/a`, 'A');
        expect(await drive.move(`${base}/a`, `${base}/b`, { overwrite: false })).to.deep.equal({ created: true });
        expect(await drive.stat(`${base}/a`)).to.equal(null);
        expect((await get(drive, `${base}/b`)).toString()).to.equal('A');
        await drive.mkdir(`${base}/t`);
        await put(drive, `${base}/t/in`, 'I');
        await drive.move(`${base}/t`, `${base}/u`, { overwrite: false });
        expect((await get(drive, `${base}/u/in`)).toString()).to.equal('I');
        expect(await drive.stat(`${base}/t`)).to.equal(null);
      });

      it('replaces a destination with overwrite (created: false), and refuses it without (EXISTS)', async () => {
        await put(drive, `${base}/a`, 'A');
        await put(drive, `${base}/b`, 'B');
        await CODES.expect(drive.move(`${base}/a`, `${base}/b`, { overwrite: false }), 'EXISTS');
        expect((await get(drive, `${base}/b`)).toString()).to.equal('B');
        expect(await drive.move(`${base}/a`, `${base}/b`, { overwrite: true })).to.deep.equal({ created: false });
        expect((await get(drive, `${base}/b`)).toString()).to.equal('A');
      });

      it('throws NOT_FOUND, SAME_PATH, INTO_ITSELF, PARENT_MISSING and NOT_A_DIRECTORY, changing nothing', async () => {
        await drive.mkdir(`${base}/t`);
        await drive.mkdir(`${base}/t/sub`);
        await put(drive, `${base}/f`, 'x');
        await CODES.expect(drive.move(`${base}/missing`, `${base}/x`, { overwrite: false }), 'NOT_FOUND');
        await CODES.expect(drive.move(`${base}/f`, `${base}/f`, { overwrite: true }), 'SAME_PATH');
        await CODES.expect(drive.move(`${base}/missing`, `${base}/missing`, { overwrite: true }), 'SAME_PATH');
        await CODES.expect(drive.move(`${base}/t`, `${base}/t/sub/t`, { overwrite: false }), 'INTO_ITSELF');
        // Onto its own ancestor: replacing it would delete the source.
        await CODES.expect(drive.move(`${base}/t/sub`, `${base}/t`, { overwrite: true }), 'INTO_ITSELF');
        await CODES.expect(drive.move(`${base}/f`, `${base}/none/f`, { overwrite: false }), 'PARENT_MISSING');
        await CODES.expect(drive.move(`${base}/f`, `${base}/f/g`, { overwrite: false }), 'NOT_A_DIRECTORY');
        await CODES.expect(drive.move(`${base}/f`, '/', { overwrite: true }), 'EXISTS');
        expect(names(await drive.list(base))).to.deep.equal(['f', 't']);
        expect(names(await drive.list(`${base}/t`))).to.deep.equal(['sub']);
      });
    });

    describe('copy', () => {
      it('copies a tree (depth infinity) and a collection alone (depth 0), the source kept', async () => {
        await drive.mkdir(`${base}/t`);
        await put(drive, `${base}/t/in`, 'I');
        expect(await drive.copy(`${base}/t`, `${base}/all`, { overwrite: false, depth: 'infinity' })).to.deep.equal({ created: true });
        expect((await get(drive, `${base}/all/in`)).toString()).to.equal('I');
        await drive.copy(`${base}/t`, `${base}/shell`, { overwrite: false, depth: 0 });
        expect((await drive.stat(`${base}/shell`))?.isDir).to.equal(true);
        expect(await drive.list(`${base}/shell`)).to.deep.equal([]);
        expect((await get(drive, `${base}/t/in`)).toString()).to.equal('I');
      });

      it('replaces a destination with overwrite (created: false), and refuses it without (EXISTS)', async () => {
        await put(drive, `${base}/a`, 'A');
        await put(drive, `${base}/b`, 'B');
        await CODES.expect(drive.copy(`${base}/a`, `${base}/b`, { overwrite: false, depth: 'infinity' }), 'EXISTS');
        expect(await drive.copy(`${base}/a`, `${base}/b`, { overwrite: true, depth: 'infinity' })).to.deep.equal({ created: false });
        expect((await get(drive, `${base}/b`)).toString()).to.equal('A');
        expect((await get(drive, `${base}/a`)).toString()).to.equal('A');
      });

      it('throws NOT_FOUND, SAME_PATH, INTO_ITSELF and PARENT_MISSING', async () => {
        await drive.mkdir(`${base}/t`);
        await put(drive, `${base}/f`, 'x');
        await CODES.expect(drive.copy(`${base}/missing`, `${base}/x`, { overwrite: false, depth: 'infinity' }), 'NOT_FOUND');
        await CODES.expect(drive.copy(`${base}/f`, `${base}/f`, { overwrite: true, depth: 'infinity' }), 'SAME_PATH');
        await CODES.expect(drive.copy(`${base}/t`, `${base}/t/copy`, { overwrite: false, depth: 'infinity' }), 'INTO_ITSELF');
        await CODES.expect(drive.copy(`${base}/f`, `${base}/none/f`, { overwrite: false, depth: 'infinity' }), 'PARENT_MISSING');
        expect(names(await drive.list(base))).to.deep.equal(['f', 't']);
      });
    });

    describe('quota', () => {
      it('answers used and available bytes', async () => {
        const q = await drive.quota();
        expect(q.used).to.be.a('number').and.at.least(0);
        expect(q.available).to.be.a('number').and.at.least(0);
      });
    });
  });
}
