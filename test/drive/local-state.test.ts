import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalState } from '../../src/drive/local-state.js';

describe('openLocalState', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'drive-state-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
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
