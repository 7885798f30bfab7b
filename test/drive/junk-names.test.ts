import { expect } from 'chai';
import { junkMatcher } from '../../src/drive/junk-names.js';

describe('junk names', () => {
  it('matches the default OS junk by base name, whatever the case', () => {
    const isJunk = junkMatcher();
    for (const name of ['._photo.jpg', '._.', '.DS_Store', 'Thumbs.db', 'thumbs.db', 'desktop.ini', 'Desktop.ini']) {
      expect(isJunk(name), name).to.equal(true);
    }
  });

  it('leaves ordinary names, other dot files and near misses alone', () => {
    const isJunk = junkMatcher();
    for (const name of ['photo.jpg', '.bashrc', '_photo.jpg', '.DS_Store.bak', 'my.DS_Store', 'Thumbs.db.txt', '.localized']) {
      expect(isJunk(name), name).to.equal(false);
    }
  });

  it('uses the configured list instead of the defaults', () => {
    const isJunk = junkMatcher(['*.tmp', '~$*']);
    expect(isJunk('a.tmp')).to.equal(true);
    expect(isJunk('~$report.docx')).to.equal(true);
    expect(isJunk('.DS_Store')).to.equal(false);
    expect(junkMatcher([])('.DS_Store')).to.equal(false);
  });
});
