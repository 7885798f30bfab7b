// /api/rapidupload: hits across accounts, misses, 413 for accounts without it, the 20 GiB limit.

import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { SLICE_MD5_BYTES } from '../../src/terabox/wire.js';
import { PART, rawClient, type Raw } from './helpers.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

describe('emulator: rapidupload', () => {
  let h: Stack;
  let owner: Raw;
  const data = bytes(5 * PART + 99, 13);
  const form = (path: string, extra: Record<string, string | number> = {}) => ({
    path,
    'content-length': data.length,
    'content-md5': md5(data),
    'slice-md5': createHash('md5').update(data.subarray(0, SLICE_MD5_BYTES)).digest('hex'),
    'content-crc32': crc32(data) >>> 0,
    rtype: 2,
    mode: 1,
    ...extra,
  });

  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true });
    owner = await rawClient(h.emu);
    expect((await owner.upload('/orig.bin', data)).json.errno).to.equal(0);
  });
  after(async () => {
    await h.stop();
  });

  it('creates the file from stored content of another account, sending no part', async () => {
    const other = await rawClient(h.emu, h.emu.addAccount().cookie);
    h.emu.resetStats();
    const r = await other.post('/api/rapidupload', {}, form('/got/it.bin'));
    expect(r.json.errno).to.equal(0);
    expect(r.json.info).to.include({ path: '/got/it.bin', size: data.length });
    expect(await h.emu.readFile('/got/it.bin', other.cookie)).to.deep.equal(data);
    expect(h.emu.stats().endpoints.superfile2?.requests ?? 0).to.equal(0);
    expect(h.emu.entry('/got/it.bin', other.cookie)!.md5).to.equal(h.emu.entry('/orig.bin')!.md5);
  });

  it('answers 404 for unknown content or a mismatching slice-md5', async () => {
    expect((await owner.post('/api/rapidupload', {}, form('/x.bin', { 'content-md5': md5('other') }))).json.errno).to.equal(404);
    expect((await owner.post('/api/rapidupload', {}, form('/x.bin', { 'slice-md5': md5('other') }))).json.errno).to.equal(404);
    expect((await owner.post('/api/rapidupload', {}, form('/x.bin', { 'content-length': data.length + 1 }))).json.errno).to.equal(404);
    expect(h.emu.entry('/x.bin')).to.equal(null);
  });

  it('answers 413 for an account without rapid upload', async () => {
    const limited = await rawClient(h.emu, h.emu.addAccount({ rapidUpload: false }).cookie);
    expect((await limited.post('/api/rapidupload', {}, form('/y.bin'))).json.errno).to.equal(413);
  });

  it('answers errno 2 over 20 GiB and for missing fields', async () => {
    expect((await owner.post('/api/rapidupload', {}, form('/z.bin', { 'content-length': 20 * 1024 ** 3 + 1 }))).json.errno).to.equal(2);
    expect((await owner.post('/api/rapidupload', {}, { path: '/z.bin' })).json.errno).to.equal(2);
  });

  it('follows the rtype rules (0 → -8, 2 → no-op for the same content)', async () => {
    expect((await owner.post('/api/rapidupload', {}, form('/orig.bin', { rtype: 0 }))).json.errno).to.equal(-8);
    const same = await owner.post('/api/rapidupload', {}, form('/orig.bin', { rtype: 2 }));
    expect(same.json.info).to.include({ path: '/orig.bin', fs_id: h.emu.entry('/orig.bin')!.fsId });
  });

  it('finds content committed a moment ago (hashes computed on demand)', async () => {
    const fresh = bytes(2 * PART + 1, 99);
    await owner.upload('/fresh.bin', fresh);
    const r = await owner.post(
      '/api/rapidupload',
      {},
      { path: '/fresh2.bin', 'content-length': fresh.length, 'content-md5': md5(fresh), rtype: 1 },
    );
    expect(r.json.errno).to.equal(0);
  });
});
