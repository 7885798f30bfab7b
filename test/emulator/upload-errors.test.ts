// precreate / superfile2 / create: every refusal the reference lists, and the rtype rules.

import { expect } from 'chai';
import { decodeMd5 } from '../../src/terabox/md5-codec.js';
import { PLACEHOLDER_BLOCK_MD5 } from '../../src/terabox/wire.js';
import { PART, rawClient, split, type Raw } from './helpers.js';
import { bytes, KiB, md5, startStack, type Stack } from '../support/index.js';

describe('emulator: precreate, superfile2 and create refusals', () => {
  let h: Stack;
  let raw: Raw;
  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true, account: { quotaBytes: 100 * PART, maxFileSize: 6 * PART } });
    raw = await rawClient(h.emu);
  });
  after(async () => {
    await h.stop();
  });

  /** Uploads parts to the store without creating a file. */
  async function storeParts(parts: Buffer[]): Promise<string> {
    const list = parts.map((p) => md5(p));
    const pre = await raw.precreate('/tmp.bin', 1, list);
    for (const i of pre.json.block_list as number[]) await raw.superfile2('/tmp.bin', pre.json.uploadid, i, parts[i]!);
    return pre.json.uploadid;
  }

  describe('precreate', () => {
    it('answers every index of a placeholder list with return_type 1', async () => {
      const one = await raw.precreate('/p1.bin', 100, [PLACEHOLDER_BLOCK_MD5[0]]);
      expect(one.json).to.include({ errno: 0, return_type: 1 });
      expect(one.json.block_list).to.deep.equal([0]);
      const two = await raw.precreate('/p2.bin', 3 * PART, [...PLACEHOLDER_BLOCK_MD5]);
      expect(two.json.block_list).to.deep.equal([0, 1]);
    });

    it('reuses a live uploadid and mints a new one for an unknown id', async () => {
      const first = await raw.precreate('/resume.bin', 100, [md5('x')]);
      const again = await raw.precreate('/resume.bin', 100, [md5('x')], { uploadid: first.json.uploadid });
      expect(again.json.uploadid).to.equal(first.json.uploadid);
      const unknown = await raw.precreate('/resume.bin', 100, [md5('x')], { uploadid: 'N1-bm9uZQ==' });
      expect(unknown.json.uploadid).to.not.equal('N1-bm9uZQ==');
    });

    it('answers 4000023 "need verify" without a jsToken or with a stale one', async () => {
      const none = await raw.post('/api/precreate', {}, { path: '/a.bin', size: 10, block_list: '["' + md5('a') + '"]' });
      expect(none.json).to.include({ errno: 4000023, errmsg: 'need verify' });
      const stale = await raw.post('/api/precreate', { jsToken: 'DEADBEEF' }, { path: '/a.bin', size: 10, block_list: '[]' });
      expect(stale.json.errno).to.equal(4000023);
    });

    it('accepts the jsToken in the body too', async () => {
      const r = await raw.post(
        '/api/precreate',
        {},
        { path: '/a.bin', size: 10, block_list: JSON.stringify([md5('a')]), jsToken: raw.jsToken },
      );
      expect(r.json.errno).to.equal(0);
    });

    it('answers 58 for a file over the account limit and -10 over the quota', async () => {
      expect((await raw.precreate('/big.bin', 6 * PART + 1, [md5('a')])).json.errno).to.equal(58);
      const free = await rawClient(h.emu, h.emu.addAccount({ quotaBytes: 100 * PART }).cookie);
      expect((await free.precreate('/big.bin', 4 * 1024 * 1024 * 1024 + 1, [md5('a')])).json.errno).to.equal(58);
      expect((await raw.precreate('/big.bin', 6 * PART, [md5('a')])).json.errno).to.equal(0);
      const tiny = await rawClient(h.emu, h.emu.addAccount({ quotaBytes: 1000 }).cookie);
      expect((await tiny.precreate('/q.bin', 1001, [md5('a')])).json.errno).to.equal(-10);
    });

    it('answers -7 for invalid names', async () => {
      for (const path of ['/a/../b', '/a//b', 'relative.txt', '/what?.txt', '/a|b', '/' + 'x'.repeat(256), '/dir/./f', '/tab\there']) {
        expect((await raw.precreate(path, 10, [md5('a')])).json.errno, path).to.equal(-7);
      }
      expect((await raw.precreate('/' + 'é'.repeat(126) + '.t', 10, [md5('a')])).json.errno).to.equal(0);
    });

    it('refuses 0-byte files with errno 2 by default and allows them when the knob says null', async () => {
      expect((await raw.precreate('/empty.txt', 0, [])).json.errno).to.equal(2);
      expect((await raw.create('/empty.txt', 0, [], 'x')).json.errno).to.equal(2);
      h.emu.setKnobs({ emptyFileErrno: null });
      try {
        // Nothing to send, but nothing known either: return_type 1 with an empty needed list.
        const pre = await raw.precreate('/empty.txt', 0, []);
        expect(pre.json).to.include({ errno: 0, return_type: 1 });
        expect(pre.json.block_list).to.deep.equal([]);
        const created = await raw.create('/empty.txt', 0, [], pre.json.uploadid);
        expect(created.json.errno).to.equal(0);
        expect(decodeMd5(created.json.md5)).to.equal(md5(''));
        expect(h.emu.entry('/empty.txt')).to.include({ size: 0 });
        expect((await h.emu.readFile('/empty.txt')).length).to.equal(0);
      } finally {
        h.emu.setKnobs({ emptyFileErrno: 2 });
      }
    });
  });

  describe('superfile2', () => {
    it('answers 31363 for an unknown uploadid and stores nothing', async () => {
      const before = h.emu.stats().store;
      const r = await raw.superfile2('/x.bin', 'N1-MTI3LjAuMC4xOjE6MQ==', 0, bytes(100, 1));
      expect(r.json.error_code).to.equal(31363);
      expect(r.status).to.be.greaterThanOrEqual(400);
      expect(h.emu.stats().store).to.deep.equal(before);
    });

    it('answers 31363 once the upload id outlives uploadIdTtlMs', async () => {
      h.emu.setKnobs({ uploadIdTtlMs: 150 });
      try {
        const pre = await raw.precreate('/late.bin', 3, [md5('abc')]);
        await new Promise((r) => setTimeout(r, 250));
        expect((await raw.superfile2('/late.bin', pre.json.uploadid, 0, Buffer.from('abc'))).json.error_code).to.equal(31363);
        const again = await raw.precreate('/late.bin', 3, [md5('abc')], { uploadid: pre.json.uploadid });
        expect(again.json.uploadid).to.not.equal(pre.json.uploadid);
      } finally {
        h.emu.setKnobs({ uploadIdTtlMs: 7 * 24 * 3600_000 });
      }
    });

    it('answers 31208 without a file field', async () => {
      const pre = await raw.precreate('/nofile.bin', 100, [md5('q')]);
      const r = await raw.multipart(
        '/rest/2.0/pcs/superfile2',
        { method: 'upload', path: '/nofile.bin', uploadid: pre.json.uploadid, partseq: 0 },
        { other: 'x' },
      );
      expect(r.json.error_code).to.equal(31208);
    });

    it('answers 31208 to a multipart body without a boundary', async () => {
      const pre = await raw.precreate('/noboundary.bin', 100, [md5('q')]);
      const url = `${h.emu.url}/rest/2.0/pcs/superfile2?method=upload&partseq=0&uploadid=${encodeURIComponent(pre.json.uploadid)}`;
      const res = await (await import('undici')).request(url, {
        method: 'POST',
        headers: { cookie: raw.cookie, 'content-type': 'multipart/form-data' },
        body: 'abc',
      });
      expect(res.statusCode).to.equal(400);
      expect(((await res.body.json()) as { error_code: number }).error_code).to.equal(31208);
    });

    it('accepts a double-encoded path and answers the part md5 with partseq and uploadid', async () => {
      const pre = await raw.precreate('/dir/f.bin', 100, [md5('q')]);
      const part = bytes(777, 5);
      const r = await raw.multipart(
        '/rest/2.0/pcs/superfile2',
        { method: 'upload', path: encodeURIComponent('/dir/f.bin'), uploadid: pre.json.uploadid, partseq: 3 },
        {},
        part,
      );
      expect(r.json).to.include({ md5: md5(part), partseq: 3, uploadid: pre.json.uploadid });
    });

    it('answers -6 error_code style without a cookie', async () => {
      const anon = await (await import('undici')).request(`${h.emu.url}/rest/2.0/pcs/superfile2?method=upload&uploadid=x&partseq=0`, {
        method: 'POST',
      });
      const body = (await anon.body.json()) as { error_code: number };
      expect(body.error_code).to.equal(-6);
    });
  });

  describe('create', () => {
    const data = bytes(2 * PART + 10, 11);
    const parts = split(data, PART);
    const list = parts.map((p) => md5(p));
    let uploadid: string;
    before(async () => {
      uploadid = await storeParts(parts);
    });

    it('answers errno 10 when a listed block is missing', async () => {
      const r = await raw.create('/c/missing.bin', data.length, [list[0]!, md5('never uploaded'), list[2]!], uploadid);
      expect(r.json.errno).to.equal(10);
      expect(h.emu.entry('/c/missing.bin')).to.equal(null);
    });

    it('answers errno 10 when the sizes do not add up', async () => {
      expect((await raw.create('/c/size.bin', data.length + 1, list, uploadid)).json.errno).to.equal(10);
      expect((await raw.create('/c/size.bin', data.length - 1, list, uploadid)).json.errno).to.equal(10);
    });

    it('answers errno 10 for the placeholder list', async () => {
      expect((await raw.create('/c/ph.bin', data.length, [...PLACEHOLDER_BLOCK_MD5], uploadid)).json.errno).to.equal(10);
    });

    it('answers 31299 for a non-last part under minPartSize', async () => {
      const small = [bytes(10 * KiB, 21), bytes(PART, 22)];
      const id = await storeParts(small);
      const r = await raw.create(
        '/c/small.bin',
        10 * KiB + PART,
        small.map((p) => md5(p)),
        id,
      );
      expect(r.json.errno).to.equal(31299);
    });

    it('answers errno 10 for more than maxParts parts', async () => {
      h.emu.setKnobs({ maxParts: 2 });
      try {
        expect((await raw.create('/c/many.bin', data.length, list, uploadid)).json.errno).to.equal(10);
      } finally {
        h.emu.setKnobs({ maxParts: 2048 });
      }
    });

    it('commits without an uploadid when every block is stored', async () => {
      const r = await raw.post(
        '/api/create',
        { isdir: 0, rtype: 0 },
        { path: '/c/noid.bin', size: data.length, block_list: JSON.stringify(list) },
      );
      expect(r.json.errno).to.equal(0);
      expect(await h.emu.readFile('/c/noid.bin')).to.deep.equal(data);
    });

    it('takes isdir and rtype from the body as well as the query', async () => {
      const r = await raw.post(
        '/api/create',
        {},
        { path: '/c/body.bin', size: data.length, block_list: JSON.stringify(list), isdir: 0, rtype: 0 },
      );
      expect(r.json.errno).to.equal(0);
      const again = await raw.post(
        '/api/create',
        {},
        { path: '/c/body.bin', size: data.length, block_list: JSON.stringify(list), isdir: 0, rtype: 0 },
      );
      expect(again.json.errno).to.equal(-8);
    });

    it('accepts a multipart body (as rclone sends it)', async () => {
      const r = await raw.multipart(
        '/api/create',
        { isdir: 0, rtype: 1 },
        { path: '/c/multi.bin', size: data.length, block_list: JSON.stringify(list), uploadid },
      );
      expect(r.json.errno).to.equal(0);
      expect(r.json.path).to.equal('/c/multi.bin');
    });

    it('answers -7 for an invalid path and -10 past the quota', async () => {
      expect((await raw.create('/c/bad:name.bin', data.length, list, uploadid)).json.errno).to.equal(-7);
      const tiny = await rawClient(h.emu, h.emu.addAccount({ quotaBytes: data.length - 1 }).cookie);
      expect((await tiny.create('/q.bin', data.length, list, 'x')).json.errno).to.equal(-10);
    });

    describe('rtype', () => {
      const other = bytes(PART + 5, 31);
      const otherList = split(other, PART).map((p) => md5(p));
      before(async () => {
        await storeParts(split(other, PART));
        expect((await raw.create('/r/f.txt', data.length, list, uploadid, 0)).json.errno).to.equal(0);
      });

      it('0 answers -8 on a conflict and leaves the file alone', async () => {
        const before = h.emu.entry('/r/f.txt')!;
        expect((await raw.create('/r/f.txt', other.length, otherList, uploadid, 0)).json).to.include({ errno: -8 });
        expect(h.emu.entry('/r/f.txt')).to.deep.equal(before);
      });

      it('1 renames to name(1).ext, then name(2).ext', async () => {
        const a = await raw.create('/r/f.txt', other.length, otherList, uploadid, 1);
        expect(a.json).to.include({ errno: 0, path: '/r/f(1).txt', server_filename: 'f(1).txt' });
        const b = await raw.create('/r/f.txt', data.length, list, uploadid, 1);
        expect(b.json.path).to.equal('/r/f(2).txt');
      });

      it('2 is a no-op for identical content and renames for different content', async () => {
        const before = h.emu.entry('/r/f.txt')!;
        const same = await raw.create('/r/f.txt', data.length, list, uploadid, 2);
        expect(same.json).to.include({ errno: 0, path: '/r/f.txt', fs_id: before.fsId });
        const diff = await raw.create('/r/f.txt', other.length, otherList, uploadid, 2);
        expect(diff.json.errno).to.equal(0);
        expect(diff.json.path).to.not.equal('/r/f.txt');
        expect(h.emu.entry('/r/f.txt')).to.deep.equal(before);
      });

      it('3 overwrites in place', async () => {
        const r = await raw.create('/r/f.txt', other.length, otherList, uploadid, 3);
        expect(r.json).to.include({ errno: 0, path: '/r/f.txt', size: other.length });
        expect(await h.emu.readFile('/r/f.txt')).to.deep.equal(other);
      });

      it('3 never replaces a directory', async () => {
        await raw.mkdir('/r/adir');
        expect((await raw.create('/r/adir', other.length, otherList, uploadid, 3)).json.errno).to.equal(-8);
        expect(h.emu.entry('/r/adir')!.isDir).to.equal(true);
      });
    });
  });

  describe('mkdir (create isdir=1)', () => {
    it('creates missing parents, answers -8 when it exists with rtype 0 (also the default)', async () => {
      const r = await raw.mkdir('/m/a/b');
      expect(r.json).to.include({ errno: 0, isdir: 1, path: '/m/a/b' });
      expect(h.emu.entry('/m/a')!.isDir).to.equal(true);
      expect((await raw.mkdir('/m/a/b')).json.errno).to.equal(-8);
      expect((await raw.mkdir('/m/a/b', 0)).json.errno).to.equal(-8);
    });

    it('renames with rtype 1', async () => {
      const r = await raw.mkdir('/m/a/b', 1);
      expect(r.json.path).to.equal('/m/a/b(1)');
    });

    it('answers -11 when an ancestor is a file and -7 for a bad name', async () => {
      await raw.upload('/m/file.txt', bytes(10, 1));
      expect((await raw.mkdir('/m/file.txt/sub')).json.errno).to.equal(-11);
      expect((await raw.mkdir('/m/bad*dir')).json.errno).to.equal(-7);
    });
  });
});
