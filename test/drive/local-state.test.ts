import { expect } from 'chai';
import { join } from 'node:path';
import { openLocalState } from '../../src/drive/local-state.js';
import { tempDir, type TempDir } from '../support/index.js';

describe('openLocalState', () => {
  let temp: TempDir;
  let tmp: string;
  before(async () => {
    temp = await tempDir('drive-state-');
    tmp = temp.dir;
  });
  after(async () => {
    await temp.remove();
  });

  it('creates the database and its folder, in WAL mode', () => {
    const db = openLocalState(join(tmp, 'nested', 'state.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
      db.exec('CREATE TABLE dav_probe (x INTEGER)');
      db.prepare('INSERT INTO dav_probe VALUES (1)').run();
    } finally {
      db.close();
    }
    const again = openLocalState(join(tmp, 'nested', 'state.db'));
    try {
      expect(again.prepare('SELECT x FROM dav_probe').pluck().get()).to.equal(1);
    } finally {
      again.close();
    }
  });
});
