// The store survives stop/start on the same data dir: files, fs_ids, contents, default cookie.

import { expect } from 'chai';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { PART, rawClient } from './helpers.js';
import { bytes, tempDir, md5, startStack } from '../support/index.js';

describe('emulator: restart persistence', () => {
  let dir: string;
  before(async () => {
    dir = (await tempDir('tb-emu-')).dir;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps files, fs_ids, contents, accounts and the default cookie across a restart', async () => {
    const data = bytes(2 * PART + 7, 5);
    const first = await startStack({ upTo: 'emulator', smallParts: true, emulatorDir: dir });
    let cookie: string;
    let other: string;
    let fsId: number;
    try {
      cookie = first.emu.defaultCookie;
      other = first.emu.addAccount({ name: 'second' }).cookie;
      const raw = await rawClient(first.emu);
      fsId = (await raw.upload('/keep/me.bin', data)).json.fs_id;
      await raw.mkdir('/keep/empty-dir');
    } finally {
      await first.stop();
    }
    // Each block sits once under blocks/<aa>/<md5>; a write a crash interrupted is only a temp file.
    const firstPart = md5(data.subarray(0, PART));
    expect(await readFile(join(dir, 'blocks', firstPart.slice(0, 2), firstPart))).to.deep.equal(data.subarray(0, PART));
    await mkdir(join(dir, 'blocks', 'tmp'), { recursive: true });
    await writeFile(join(dir, 'blocks', 'tmp', 'interrupted'), 'half a block');

    const second = await startStack({ upTo: 'emulator', smallParts: true, emulatorDir: dir });
    try {
      expect(second.emu.defaultCookie).to.equal(cookie);
      expect(await stat(join(dir, 'blocks', 'tmp', 'interrupted')).catch(() => null)).to.equal(null);
      const raw = await rawClient(second.emu);
      const listed = await raw.list('/keep');
      expect(listed.json.list.map((i: { server_filename: string }) => i.server_filename)).to.deep.equal(['empty-dir', 'me.bin']);
      expect(second.emu.entry('/keep/me.bin')!.fsId).to.equal(fsId);
      expect(await second.emu.readFile('/keep/me.bin')).to.deep.equal(data);
      const metas = await raw.filemetas(['/keep/me.bin'], { dlink: 1, origin: 'dlna' });
      const res = await request(metas.json.info[0].dlink);
      expect(Buffer.from(await res.body.arrayBuffer())).to.deep.equal(data);
      expect(res.headers['content-md5']).to.equal(md5(data));
      expect((await (await rawClient(second.emu, other)).get('/api/check/login')).json.errno).to.equal(0);
      // Blocks stored before the restart still count for precreate.
      const pre = await raw.precreate('/again.bin', data.length, [
        md5(data.subarray(0, PART)),
        md5(data.subarray(PART, 2 * PART)),
        md5(data.subarray(2 * PART)),
      ]);
      expect(pre.json.return_type).to.equal(2);
      expect(await second.emu.readFile('/again.bin')).to.deep.equal(data);
    } finally {
      await second.stop();
    }
  });
});
