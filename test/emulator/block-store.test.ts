// The block store when the disk fails under it: a part that cannot be stored is answered as an error,
// never stored, and never takes the emulator down.

import { expect } from 'chai';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bytes, md5, rawClient, startHarness, type Harness, type Raw } from './helpers.js';

describe('emulator: block store failures', () => {
  let h: Harness;
  let raw: Raw;
  before(async () => {
    h = await startHarness();
    raw = await rawClient(h.emu);
  });
  after(async () => {
    await h.close();
  });

  it('answers a superfile2 whose block cannot be written with a server error and keeps serving', async () => {
    const part = bytes(3 * 1024 * 1024, 41);
    const pre = await raw.precreate('/fail.bin', part.length, [md5(part)]);
    // Opening the temp file fails, as it does on a full disk or with no file handles left.
    const tmp = join(h.dir, 'blocks', 'tmp');
    await rm(tmp, { recursive: true });
    try {
      const up = await raw.superfile2('/fail.bin', pre.json.uploadid, 0, part);
      expect(up.status).to.be.at.least(500);
      expect(h.emu.stats().store.blocks).to.equal(0);
    } finally {
      await mkdir(tmp, { recursive: true });
    }
    const again = await raw.superfile2('/fail.bin', pre.json.uploadid, 0, part);
    expect(again.json.md5).to.equal(md5(part));
  });
});
