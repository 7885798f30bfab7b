import { expect } from 'chai';
import { loadEtagger } from '../../src/drive/etag.js';

describe('etag', () => {
  const base = { fsId: 123456789012345, size: 10, mtimeMs: 1_700_000_000_000, md5: 'aa'.repeat(16) };

  it('is a quoted strong ETag, the same for the same version every time', async () => {
    const etag = await loadEtagger();
    const a = etag(base);
    expect(a).to.match(/^"[0-9a-f]{16}"$/);
    expect(etag({ ...base })).to.equal(a);
  });

  it('is pinned to one formula, since clients keep ETags across our restarts', async () => {
    const etag = await loadEtagger();
    // xxh64 of "fsId\nsize\nmtimeMs\nmd5": changing the formula would make every client refetch.
    expect(etag(base)).to.equal('"e45ddc8af35fd9b4"');
  });

  it('changes when any identifying field changes', async () => {
    const etag = await loadEtagger();
    const seen = new Set([
      etag(base),
      etag({ ...base, fsId: base.fsId + 1 }),
      etag({ ...base, size: 11 }),
      etag({ ...base, mtimeMs: base.mtimeMs + 1 }),
      etag({ ...base, md5: 'bb'.repeat(16) }),
      etag({ ...base, md5: undefined }),
    ]);
    expect(seen.size).to.equal(6);
  });
});
