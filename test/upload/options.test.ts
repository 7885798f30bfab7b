import { expect } from 'chai';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import { DEFAULT_LADDER } from '../../src/terabox/chunk-size.js';
import { resolveOptions, type UploaderOptions } from '../../src/upload/options.js';

const base: UploaderOptions = { api: {} as TeraBoxApi, spoolDir: '/tmp/spool', journalPath: '/tmp/j.db' };

describe('upload/options', () => {
  it('fills in the documented defaults', () => {
    const o = resolveOptions(base);
    expect(o).to.include({
      parallel: 4,
      globalParallel: 8,
      partAttempts: 5,
      precreateBlockList: 'real',
      rapidUpload: true,
      maxFileSize: undefined,
    });
    expect(o.ladder).to.deep.equal(DEFAULT_LADDER);
    expect(o.backoff).to.deep.equal({ baseDelayMs: 500, maxDelayMs: 8000 });
    expect(o.hashWorkers).to.be.within(1, 4);
  });

  for (const [name, patch, message] of [
    ['parallel 0', { parallel: 0 }, /parallel must be an integer from 1 to 16/],
    ['parallel 17', { parallel: 17 }, /parallel must be an integer from 1 to 16/],
    ['a fractional global budget', { globalParallel: 2.5 }, /globalParallel/],
    ['zero part tries', { partAttempts: 0 }, /partAttempts/],
    ['an unknown precreate list', { precreateBlockList: 'fake' as 'real' }, /precreateBlockList must be "real" or "placeholder"/],
    [
      'a ladder whose limit is under its part size',
      { ladder: { baseChunkSize: 1024, baseLimit: 10, maxChunkSize: 4096 } },
      /ladder.baseLimit/,
    ],
    [
      'a ladder whose largest part is under its base part',
      { ladder: { baseChunkSize: 1024, baseLimit: 4096, maxChunkSize: 512 } },
      /ladder.maxChunkSize/,
    ],
    ['a backoff cap under its base', { backoff: { baseDelayMs: 100, maxDelayMs: 10 } }, /backoff/],
    ['a zero file-size limit', { maxFileSize: 0 }, /maxFileSize/],
  ] as const) {
    it(`refuses ${name} with a message naming the option`, () => {
      expect(() => resolveOptions({ ...base, ...patch } as UploaderOptions)).to.throw(RangeError, message);
    });
  }

  it('requires the api and both paths', () => {
    expect(() => resolveOptions({ ...base, spoolDir: '' })).to.throw(TypeError, /spoolDir/);
    expect(() => resolveOptions({ ...base, journalPath: '' })).to.throw(TypeError, /journalPath/);
  });
});
