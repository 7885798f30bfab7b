import Database from 'better-sqlite3';
import { expect } from 'chai';
import { join } from 'node:path';
import { Journal, type JournalEntry } from '../../src/upload/journal.js';
import { tempDir } from '../support/index.js';

const entry = (path: string): JournalEntry => ({
  path,
  size: 3 * 1024 + 17,
  chunkSize: 1024,
  blockMd5s: ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32), 'd'.repeat(32)],
  contentMd5: 'e'.repeat(32),
  sliceMd5: 'f'.repeat(32),
  crc32: 4_000_000_000,
  spoolFile: `/spool/${path.slice(1)}.spool`,
  mtime: 1_700_000_000,
});

describe('upload/journal', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(() => tmp.remove());

  it('keeps a commit, its uploadid and confirmed parts across a reopen', () => {
    const file = join(tmp.dir, 'sub', 'journal.db');
    const j1 = new Journal(file);
    const id = j1.begin(entry('/a.bin'));
    j1.setUploadId(id, 'N1-upload');
    j1.confirmPart(id, 2);
    j1.confirmPart(id, 0);
    j1.confirmPart(id, 2);
    j1.close();

    const j2 = new Journal(file);
    const rows = j2.list();
    j2.close();
    expect(rows).to.have.length(1);
    const { id: _id, startedAt, ...rest } = rows[0]!;
    expect(startedAt).to.be.a('number');
    expect(rest).to.deep.equal({ ...entry('/a.bin'), uploadId: 'N1-upload', confirmed: [0, 2] });
  });

  it('forgets confirmed parts when precreate answers another upload session', () => {
    const j = new Journal(join(tmp.dir, 'j.db'));
    const id = j.begin(entry('/b.bin'));
    j.setUploadId(id, 'N1-first');
    j.confirmPart(id, 1);
    j.setUploadId(id, 'N1-first');
    expect(j.list()[0]!.confirmed).to.deep.equal([1]);
    j.setUploadId(id, 'N1-second');
    expect(j.list()[0]).to.include({ uploadId: 'N1-second' });
    expect(j.list()[0]!.confirmed).to.deep.equal([]);
    j.close();
  });

  it('removes a row with its parts, and lists the rest oldest first', () => {
    const j = new Journal(join(tmp.dir, 'j.db'));
    const first = j.begin(entry('/1'));
    const second = j.begin(entry('/2'));
    const third = j.begin({ ...entry('/3'), contentMd5: undefined, sliceMd5: undefined, crc32: undefined, mtime: undefined });
    j.confirmPart(second, 0);
    j.remove(second);
    const rows = j.list();
    expect(rows.map((r) => r.id)).to.deep.equal([first, third]);
    expect(rows[1]).to.include({ contentMd5: undefined, crc32: undefined, mtime: undefined, uploadId: undefined });
    j.close();
  });

  it('uses write-ahead logging', () => {
    const file = join(tmp.dir, 'wal.db');
    const j = new Journal(file);
    j.begin(entry('/w'));
    const reader = new Database(file, { readonly: true });
    expect(reader.pragma('journal_mode', { simple: true })).to.equal('wal');
    expect(reader.prepare('SELECT count(*) AS n FROM commits').get()).to.deep.equal({ n: 1 });
    reader.close();
    j.close();
  });

  it('refuses a journal written by a newer schema', () => {
    const file = join(tmp.dir, 'future.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new Journal(file)).to.throw(/schema version 99/);
  });
});
