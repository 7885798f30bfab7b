// The seed's three upload phases replayed as raw HTTP, then the same content again (rapid).

import { expect } from 'chai';
import { decodeMd5 } from '../../src/terabox/md5-codec.js';
import { PART, rawClient, split } from './helpers.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

describe('emulator: the seed upload flow replayed as raw HTTP', () => {
  let h: Stack;
  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true });
  });
  after(async () => {
    await h.stop();
  });

  const data = bytes(3 * PART + 1234, 7);
  const parts = split(data, PART);
  const list = parts.map((p) => md5(p));
  const etag = md5(JSON.stringify(list));

  it('precreate with the real block list answers every index, superfile2 stores each part, create commits', async () => {
    const raw = await rawClient(h.emu);
    const pre = await raw.post(
      '/rest/2.0/xpan/file',
      { method: 'precreate', bdstoken: raw.bdstoken, jsToken: raw.jsToken },
      { path: '/seed/file.bin', size: data.length, autoinit: 1, block_list: JSON.stringify(list), rtype: 1 },
    );
    expect(pre.json.errno).to.equal(0);
    expect(pre.json.return_type).to.equal(1);
    expect(pre.json.block_list).to.deep.equal([0, 1, 2, 3]);
    expect(pre.json.uploadid).to.match(/^N1-/);
    const decoded = Buffer.from(pre.json.uploadid.slice(3), 'base64').toString();
    expect(decoded).to.match(/^\d+\.\d+\.\d+\.\d+:\d{10}:\d+$/);

    for (const i of pre.json.block_list as number[]) {
      const up = await raw.superfile2('/seed/file.bin', pre.json.uploadid, i, parts[i]!);
      expect(up.status).to.equal(200);
      expect(up.json.md5).to.equal(list[i]);
    }
    const created = await raw.post(
      '/rest/2.0/xpan/file',
      { method: 'create', bdstoken: raw.bdstoken, jsToken: raw.jsToken },
      { path: '/seed/file.bin', size: data.length, uploadid: pre.json.uploadid, block_list: JSON.stringify(list), isdir: 0, rtype: 1 },
    );
    expect(created.json.errno).to.equal(0);
    expect(created.json.md5).to.not.equal(etag);
    expect(decodeMd5(created.json.md5)).to.equal(etag);
    expect(created.json.size).to.equal(data.length);

    const listed = await raw.list('/seed');
    expect(listed.json.errno).to.equal(0);
    const item = listed.json.list.find((i: { server_filename: string }) => i.server_filename === 'file.bin');
    expect(item).to.include({ size: data.length, md5: etag, isdir: 0, path: '/seed/file.bin', fs_id: created.json.fs_id });
    expect(await h.emu.readFile('/seed/file.bin')).to.deep.equal(data);
  });

  it('the same replay under another path from another account gets return_type 2 with the file committed, no superfile2, no create', async () => {
    const other = await rawClient(h.emu, h.emu.addAccount().cookie);
    h.emu.resetStats();
    const pre = await other.precreate('/elsewhere/copy.bin', data.length, list);
    expect(pre.json.errno).to.equal(0);
    expect(pre.json.return_type).to.equal(2);
    expect(pre.json.block_list).to.deep.equal([]);
    // Baidu-style: the answer carries the committed entry; create is not called.
    expect(pre.json.info).to.include({ path: '/elsewhere/copy.bin', size: data.length, md5: etag, isdir: 0 });
    expect(h.emu.stats().endpoints.superfile2?.requests ?? 0).to.equal(0);
    expect(h.emu.stats().endpoints.create?.requests ?? 0).to.equal(0);
    const listed = await other.list('/elsewhere');
    expect(listed.json.list).to.have.length(1);
    expect(listed.json.list[0]).to.include({ size: data.length, md5: etag, fs_id: pre.json.info.fs_id });
    expect(await h.emu.readFile('/elsewhere/copy.bin', other.cookie)).to.deep.equal(data);
  });

  it('precreate answers only the indexes whose blocks the store lacks', async () => {
    const raw = await rawClient(h.emu);
    const changed = Buffer.concat([parts[0]!, bytes(PART, 99), parts[2]!]);
    const changedList = split(changed, PART).map((p) => md5(p));
    const pre = await raw.precreate('/seed/changed.bin', changed.length, changedList);
    expect(pre.json.return_type).to.equal(1);
    expect(pre.json.block_list).to.deep.equal([1]);
  });

  it('a one-part file answers its part md5 (obfuscated in create, plain in list and filemetas)', async () => {
    const raw = await rawClient(h.emu);
    const small = bytes(1000, 3);
    const created = await raw.upload('/small.txt', small);
    expect(created.json.errno).to.equal(0);
    expect(created.json.md5).to.match(/^[0-9a-f]{9}[g-v][0-9a-f]{22}$/);
    expect(decodeMd5(created.json.md5)).to.equal(md5(small));
    const metas = await raw.filemetas(['/small.txt']);
    expect(metas.json.info[0].md5).to.equal(md5(small));
  });
});
