// The block store when the disk fails under it: a part that cannot be stored wholly is answered as an
// error, never stored, and never takes the emulator down.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rawClient, type Raw } from './helpers.js';
import { bytes, tempDir, md5, startStack, type Stack } from '../support/index.js';

describe('emulator: block store failures', () => {
  let h: Stack;
  let raw: Raw;
  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true });
    raw = await rawClient(h.emu);
  });
  after(async () => {
    await h.stop();
  });

  it('answers a superfile2 whose block cannot be written with a server error and keeps serving', async () => {
    const part = bytes(3 * 1024 * 1024, 41);
    const pre = await raw.precreate('/fail.bin', part.length, [md5(part)]);
    // Opening the temp file fails, as it does on a full disk or with no file handles left.
    const tmp = join(h.emulatorDir, 'blocks', 'tmp');
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

describe('emulator: block store writes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = (await tempDir('tb-emu-')).dir;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores nothing when the disk takes only part of the last chunk', async () => {
    // A file-size limit of 1 MiB (RLIMIT_FSIZE) makes write(2) take only part of a chunk that crosses it,
    // as a filling disk does, and refuse the next write. The store runs in a child so the limit is its own.
    const code = `
      import { openDb } from ${JSON.stringify(new URL('../../src/emulator/store/db.ts', import.meta.url).href)};
      import { BlockStore } from ${JSON.stringify(new URL('../../src/emulator/store/blocks.ts', import.meta.url).href)};
      const dir = ${JSON.stringify(dir)};
      const store = new BlockStore(dir, openDb(dir));
      async function* part() {
        yield Buffer.alloc(1000 * 1024, 1);
        yield Buffer.alloc(100 * 1024, 2);
      }
      const result = await store.write(part(), 1e9).then((b) => ({ stored: store.has(b.md5) }), (e) => ({ refused: e.code }));
      process.stdout.write(JSON.stringify(result));
    `;
    const { stdout } = await promisify(execFile)('bash', [
      '-c',
      'ulimit -f 1024 && exec "$0" --import tsx --input-type=module -e "$1"',
      process.execPath,
      code,
    ]);
    expect(JSON.parse(stdout)).to.deep.equal({ refused: 'EFBIG' });
    const stored = (await readdir(join(dir, 'blocks'))).filter((d) => d !== 'tmp');
    expect(stored).to.deep.equal([]);
  });
});
