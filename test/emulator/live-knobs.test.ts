// The emulator's 2025–2026 behaviours (docs/terabox-protocol.md §7), on the raw wire: precreate's
// return_type 2 in its three shapes, uploadsign, dlinks answering 400141 with the PCS download route
// beside them, the rate limit, the -7 fault, and a region with an upload host of its own.

import { expect } from 'chai';
import { request } from 'undici';
import { PART, rawClient, split, type Raw } from './helpers.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

describe('emulator: live-service behaviours of 2025–2026', () => {
  let h: Stack;
  let raw: Raw;
  const data = bytes(2 * PART + 99, 71);
  const list = split(data, PART).map((p) => md5(p));
  const etag = md5(JSON.stringify(list));

  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true, emulator: { regions: ['dm', 'jp'], regionUploadHosts: ['dm'] } });
    raw = await rawClient(h.emu);
    expect((await raw.upload('/seed/original.bin', data)).json.errno).to.equal(0);
  });
  after(() => h.stop());
  afterEach(() =>
    h.emu.setKnobs({ precreateRapid: 'commit', requireUploadSign: false, dlinkNeedVerify: false, rateLimit: null, faults: {} }),
  );

  describe('precreate return_type 2', () => {
    it('commits the file and answers its entry in info when every block of the real list is known', async () => {
      h.emu.resetStats();
      const pre = await raw.precreate('/rt2/info.bin', data.length, list, { rtype: 3 });
      expect(pre.json).to.include({ errno: 0, return_type: 2 });
      expect(pre.json.block_list).to.deep.equal([]);
      expect(pre.json.info).to.include({ path: '/rt2/info.bin', size: data.length, md5: etag, isdir: 0 });
      expect(h.emu.entry('/rt2/info.bin')).to.include({ size: data.length, md5: etag, fsId: pre.json.info.fs_id });
      expect(await h.emu.readFile('/rt2/info.bin')).to.deep.equal(data);
    });

    it('commits from rapid parameters even when the block list is the placeholder', async () => {
      const pre = await raw.precreate(
        '/rt2/rapid.bin',
        data.length,
        ['5910a591dd8fc18c32a8f3df4fdc1761', 'a5fc157d78e6ad1c7e114b056c92821e'],
        {
          'content-md5': md5(data),
          'slice-md5': md5(data.subarray(0, 256 * 1024)),
        },
      );
      expect(pre.json).to.include({ return_type: 2 });
      expect(pre.json.info.size).to.equal(data.length);
      expect(await h.emu.readFile('/rt2/rapid.bin')).to.deep.equal(data);
    });

    it('answers 1 with an empty needed list when the blocks are known but their sizes do not add up (nothing committed)', async () => {
      const pre = await raw.precreate('/rt2/wrong-size.bin', data.length + 1, list);
      expect(pre.json).to.include({ errno: 0, return_type: 1 });
      expect(pre.json.block_list).to.deep.equal([]);
      expect(pre.json).to.not.have.property('info');
      expect(h.emu.entry('/rt2/wrong-size.bin')).to.equal(null);
    });

    it('answers 1 with only the missing indexes, and never 2, for a partly known or placeholder list', async () => {
      const changed = [list[0]!, md5('not stored'), list[2]!];
      const pre = await raw.precreate('/rt2/partial.bin', data.length, changed);
      expect(pre.json).to.include({ return_type: 1 });
      expect(pre.json.block_list).to.deep.equal([1]);
      const ph = await raw.precreate('/rt2/ph.bin', data.length, ['5910a591dd8fc18c32a8f3df4fdc1761', 'a5fc157d78e6ad1c7e114b056c92821e']);
      expect(ph.json).to.include({ return_type: 1 });
      expect(h.emu.entry('/rt2/ph.bin')).to.equal(null);
    });

    it('knob bare: commits but answers 2 without info; knob no-commit: answers 2 and commits nothing', async () => {
      h.emu.setKnobs({ precreateRapid: 'bare' });
      const bare = await raw.precreate('/rt2/bare.bin', data.length, list);
      expect(bare.json).to.include({ return_type: 2 });
      expect(bare.json).to.not.have.property('info');
      expect(h.emu.entry('/rt2/bare.bin')).to.include({ size: data.length });
      h.emu.setKnobs({ precreateRapid: 'no-commit' });
      const none = await raw.precreate('/rt2/none.bin', data.length, list);
      expect(none.json).to.include({ return_type: 2 });
      expect(h.emu.entry('/rt2/none.bin')).to.equal(null);
      expect((await raw.create('/rt2/none.bin', data.length, list, none.json.uploadid)).json.errno).to.equal(0);
      expect(await h.emu.readFile('/rt2/none.bin')).to.deep.equal(data);
    });

    it('keeps rtype 0 at precreate: a taken name answers -8 and the file stays', async () => {
      const pre = await raw.precreate('/seed/original.bin', data.length, list, { rtype: 0 });
      expect(pre.json.errno).to.equal(-8);
    });
  });

  describe('uploadsign', () => {
    it('hands one out with every precreate, the same for a resumed session', async () => {
      const first = await raw.precreate('/sign/a.bin', 10, [md5('x')]);
      expect(first.json.uploadsign).to.match(/^[0-9a-f]{32}$/);
      const again = await raw.precreate('/sign/a.bin', 10, [md5('x')], { uploadid: first.json.uploadid });
      expect(again.json.uploadid).to.equal(first.json.uploadid);
      expect(again.json.uploadsign).to.equal(first.json.uploadsign);
    });

    it('under requireUploadSign, superfile2 refuses a missing or wrong sign with 31023 and takes the right one', async () => {
      h.emu.setKnobs({ requireUploadSign: true });
      const part = bytes(100, 3);
      const pre = await raw.precreate('/sign/b.bin', part.length, [md5(part)]);
      const missing = await raw.superfile2('/sign/b.bin', pre.json.uploadid, 0, part);
      expect(missing.status).to.equal(400);
      expect(missing.json).to.include({ error_code: 31023 });
      const wrong = await raw.multipart(
        '/rest/2.0/pcs/superfile2',
        { method: 'upload', path: '/sign/b.bin', uploadid: pre.json.uploadid, partseq: 0, uploadsign: 'f'.repeat(32) },
        {},
        part,
      );
      expect(wrong.json).to.include({ error_code: 31023 });
      const right = await raw.multipart(
        '/rest/2.0/pcs/superfile2',
        { method: 'upload', path: '/sign/b.bin', uploadid: pre.json.uploadid, partseq: 0, uploadsign: pre.json.uploadsign },
        {},
        part,
      );
      expect(right.json.md5).to.equal(md5(part));
    });
  });

  describe('downloads from a datacenter', () => {
    it('under dlinkNeedVerify the dlink answers errno 400141, and the PCS route serves the bytes with Range', async () => {
      h.emu.setKnobs({ dlinkNeedVerify: true });
      const metas = await raw.filemetas(['/seed/original.bin'], { dlink: 1, origin: 'dlna' });
      const hop = await request(metas.json.info[0].dlink);
      expect(hop.statusCode).to.equal(200);
      expect(await hop.body.json()).to.include({ errno: 400141 });
      const whole = await raw.get('/rest/2.0/pcs/file', { method: 'download', path: '/seed/original.bin' });
      expect(whole.status).to.equal(200);
      const range = await request(`${h.emu.url}/rest/2.0/pcs/file?method=download&path=${encodeURIComponent('/seed/original.bin')}`, {
        headers: { cookie: raw.cookie, range: 'bytes=10-109' },
      });
      expect(range.statusCode).to.equal(206);
      expect(range.headers['content-range']).to.equal(`bytes 10-109/${data.length}`);
      expect(Buffer.from(await range.body.arrayBuffer())).to.deep.equal(data.subarray(10, 110));
      expect(h.emu.stats().endpoints.pcsdownload?.requests).to.be.greaterThan(0);
    });

    it('the PCS route needs the cookie and answers 31066 for a missing file or a directory', async () => {
      const anon = await request(`${h.emu.url}/rest/2.0/pcs/file?method=download&path=%2Fseed%2Foriginal.bin`);
      expect(anon.statusCode).to.not.equal(200);
      await anon.body.dump();
      expect((await raw.get('/rest/2.0/pcs/file', { method: 'download', path: '/seed/nothing.bin' })).json.error_code).to.equal(31066);
      expect((await raw.get('/rest/2.0/pcs/file', { method: 'download', path: '/seed' })).json.error_code).to.equal(31066);
    });
  });

  describe('rate limit', () => {
    it('answers errno 31034 past the rate (a bucket of burst calls), HTTP 429 when asked, and spares data transfers', async () => {
      h.emu.setKnobs({ rateLimit: { callsPerSecond: 1, burst: 3 } });
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push((await raw.list('/seed')).json.errno);
      expect(answers.slice(0, 3)).to.deep.equal([0, 0, 0]);
      expect(answers.slice(3)).to.include(31034);
      h.emu.setKnobs({ rateLimit: { callsPerSecond: 1, burst: 1, answer: 'http429' } });
      const other = await rawClient(h.emu, h.emu.addAccount().cookie).catch(() => null);
      // The page fetch is not counted, so the new account got its token; its first call passes, the next is refused.
      expect(other).to.not.equal(null);
      expect((await other!.list('/')).status).to.equal(200);
      const refused = await other!.list('/');
      expect(refused.status).to.equal(429);
      expect(refused.headers['retry-after']).to.equal('1');
      // Data: the PCS download route is not counted.
      expect((await other!.get('/rest/2.0/pcs/file', { method: 'download', path: '/nothing' })).json.error_code).to.equal(31066);
    });

    it('refuses a malformed rateLimit knob', () => {
      expect(() => h.emu.setKnobs({ rateLimit: { callsPerSecond: 0, burst: 1, answer: 'errno31034' } })).to.throw(/rateLimit/);
      expect(() => h.emu.setKnobs({ rateLimit: { callsPerSecond: 1, burst: 1, answer: 'nope' as 'http429' } })).to.throw(/rateLimit/);
    });
  });

  it('the errnoMinus7 fault answers -7 to a valid path on /api calls', async () => {
    h.emu.setKnobs({ faults: { list: { errnoMinus7: 1 } } });
    expect((await raw.list('/seed')).json.errno).to.equal(-7);
  });

  describe('a region with its own upload host', () => {
    it('locateupload on the region names its upload listener, where the account can upload; the API listener is another host', async () => {
      const account = h.emu.addAccount({ region: 'dm' });
      const dm = await rawClient(h.emu, account.cookie, h.emu.regionUrls.dm);
      const located = await dm.get('/rest/2.0/pcs/file', { method: 'locateupload' });
      const uploadUrl = h.emu.regionUploadUrls.dm!;
      expect(located.json.host).to.equal(new URL(uploadUrl).host);
      expect(uploadUrl).to.not.equal(h.emu.regionUrls.dm);
      const part = bytes(300, 9);
      const pre = await dm.precreate('/r/file.bin', part.length, [md5(part)]);
      expect(pre.json.return_type).to.equal(1);
      const up = await dm.superfile2('/r/file.bin', pre.json.uploadid, 0, part, uploadUrl);
      expect(up.json.md5).to.equal(md5(part));
      // The main host's upload path does not know a dm account (31045, as the live upload hosts answer).
      const wrong = await dm.superfile2('/r/file.bin', pre.json.uploadid, 0, part, h.emu.url);
      expect(wrong.json.error_code).to.equal(31045);
      // A region without its own upload host names its API listener, as before.
      const jp = await rawClient(h.emu, h.emu.addAccount({ region: 'jp' }).cookie, h.emu.regionUrls.jp);
      expect((await jp.get('/rest/2.0/pcs/file', { method: 'locateupload' })).json.host).to.equal(new URL(h.emu.regionUrls.jp!).host);
    });

    it('refuses regionUploadHosts naming an unknown region', async () => {
      let err: unknown;
      try {
        await startStack({ upTo: 'emulator', emulator: { regions: ['jp'], regionUploadHosts: ['dm'] } });
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.match(/regionUploadHosts/);
    });
  });
});
