// Accounts, the web page's jsToken (both forms), token expiry and refresh, bdstoken on the xpan
// aliases, and region listeners.

import { expect } from 'chai';
import { request } from 'undici';
import { JS_TOKEN_PREFIX, JS_TOKEN_SUFFIX } from '../../src/terabox/wire.js';
import { Raw, rawClient } from './helpers.js';
import { md5, startStack, type Stack } from '../support/index.js';

describe('emulator: accounts, jsToken and regions', () => {
  let h: Stack;
  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true, emulator: { regions: ['jp', 'us'] }, knobs: { tokenTtlMs: 60_000 } });
  });
  after(async () => {
    await h.stop();
  });

  describe('the web page', () => {
    it('holds the jsToken in templateData and in the eval(decodeURIComponent(...)) script', async () => {
      const raw = new Raw(h.emu.url, h.emu.defaultCookie);
      const page = await raw.get('/main');
      expect(page.status).to.equal(200);
      expect(page.headers['content-type']).to.match(/text\/html/);
      // terabox-api's way: templateData JSON, then %28%22(.*)%22%29 inside its jsToken.
      const template = /<script>var templateData = (.*);<\/script>/.exec(page.text);
      expect(template).to.not.equal(null);
      const data = JSON.parse(template![1]!);
      expect(data.bdstoken).to.match(/^[0-9a-f]{32}$/);
      expect(data.uk).to.be.a('number');
      const fromTemplate = /%28%22(.*)%22%29/.exec(data.jsToken)![1];
      // OpenList/rclone's way: the text between the literal prefix and suffix with backticks.
      const m = new RegExp('`' + escapeRegex(JS_TOKEN_PREFIX) + '(.*?)' + escapeRegex(JS_TOKEN_SUFFIX) + '`').exec(page.text);
      expect(m).to.not.equal(null);
      expect(m![1]).to.equal(fromTemplate);
      expect(page.text).to.include('eval(decodeURIComponent(`');
      expect(decodeURIComponent(JS_TOKEN_PREFIX + m![1] + JS_TOKEN_SUFFIX)).to.equal(`function fn(a){window.jsToken = a};fn("${m![1]}")`);
    });

    it('serves / and /home too, each fetch with a fresh token', async () => {
      const raw = new Raw(h.emu.url, h.emu.defaultCookie);
      const a = await raw.get('/');
      const b = await raw.get('/home');
      const token = (t: string) => /fn%28%22(.*?)%22%29/.exec(t)![1];
      expect(token(a.text)).to.not.equal(token(b.text));
    });

    it('is a login page without a token for a missing or unknown cookie', async () => {
      for (const cookie of ['', 'ndus=nope; lang=en']) {
        const page = await new Raw(h.emu.url, cookie).get('/main');
        expect(page.status).to.equal(200);
        expect(page.text).to.not.include('jsToken');
        expect(page.text).to.not.include('templateData');
      }
    });
  });

  describe('accounts', () => {
    it('answers -6 to a missing or unknown ndus', async () => {
      expect((await new Raw(h.emu.url, '').get('/api/check/login')).json.errno).to.equal(-6);
      expect((await new Raw(h.emu.url, 'ndus=unknown').get('/api/list', { dir: '/' })).json.errno).to.equal(-6);
    });

    it('check/login answers uk for a good cookie, quota its numbers', async () => {
      const raw = new Raw(h.emu.url, h.emu.addAccount({ quotaBytes: 5000 }).cookie);
      const login = await raw.get('/api/check/login');
      expect(login.json.errno).to.equal(0);
      expect(login.json.uk).to.be.a('number');
      const quota = await raw.get('/api/quota', { checkexpire: 1, checkfree: 1 });
      expect(quota.json).to.include({ errno: 0, total: 5000, used: 0 });
    });

    it("keeps accounts apart: one account cannot see another account's files", async () => {
      const a = await rawClient(h.emu, h.emu.addAccount().cookie);
      const b = await rawClient(h.emu, h.emu.addAccount().cookie);
      expect((await a.upload('/mine.txt', Buffer.from('a'))).json.errno).to.equal(0);
      expect((await b.filemetas(['/mine.txt'])).json.info[0].errno).to.equal(-9);
    });

    it('membership answers is_vip', async () => {
      const vip = new Raw(h.emu.url, h.emu.addAccount({ vip: true }).cookie);
      const free = new Raw(h.emu.url, h.emu.defaultCookie);
      const q = { method: 'query', membership_version: '1.0' };
      expect((await vip.get('/rest/2.0/membership/proxy/user', q)).json.data.member_info.is_vip).to.equal(1);
      expect((await free.get('/rest/2.0/membership/proxy/user', q)).json).to.deep.include({ error_code: 0 });
      expect((await free.get('/rest/2.0/membership/proxy/user', q)).json.data.member_info.is_vip).to.equal(0);
    });
  });

  describe('jsToken expiry and refresh', () => {
    it('a token goes stale after tokenTtlMs; a re-scraped token works again', async () => {
      h.emu.setKnobs({ tokenTtlMs: 300 });
      try {
        const raw = await rawClient(h.emu);
        expect((await raw.precreate('/t.bin', 10, [md5('t')])).json.errno).to.equal(0);
        await new Promise((r) => setTimeout(r, 400));
        expect((await raw.precreate('/t.bin', 10, [md5('t')])).json.errno).to.equal(4000023);
        expect((await raw.filemanager('delete', ['/nothing'])).json.errno).to.equal(450016);
        await raw.refreshToken();
        expect((await raw.precreate('/t.bin', 10, [md5('t')])).json.errno).to.equal(0);
      } finally {
        h.emu.setKnobs({ tokenTtlMs: 60_000 });
      }
    });

    it('older tokens stay valid while newer ones are issued', async () => {
      const raw = await rawClient(h.emu);
      const first = raw.jsToken;
      await raw.refreshToken();
      raw.jsToken = first;
      expect((await raw.precreate('/t.bin', 10, [md5('t')])).json.errno).to.equal(0);
    });

    it('expireTokens() makes every token stale at once', async () => {
      const raw = await rawClient(h.emu);
      h.emu.expireTokens();
      expect((await raw.precreate('/t.bin', 10, [md5('t')])).json.errno).to.equal(4000023);
      expect((await raw.filemanager('delete', ['/x'])).json.errno).to.equal(450016);
      await raw.refreshToken();
      expect((await raw.filemanager('delete', ['/x'])).json.errno).to.equal(12);
    });

    it('a token of another account is not valid', async () => {
      const a = await rawClient(h.emu, h.emu.addAccount().cookie);
      const b = await rawClient(h.emu, h.emu.addAccount().cookie);
      a.jsToken = b.jsToken;
      expect((await a.precreate('/t.bin', 10, [md5('t')])).json.errno).to.equal(4000023);
    });

    it('calls other than precreate and filemanager accept a missing token', async () => {
      const raw = new Raw(h.emu.url, h.emu.defaultCookie);
      expect((await raw.list('/')).json.errno).to.equal(0);
      expect((await raw.mkdir('/no-token-dir')).json.errno).to.equal(0);
    });

    it('the xpan aliases need the bdstoken as well as the jsToken', async () => {
      const raw = await rawClient(h.emu);
      const q = { method: 'list', dir: '/', jsToken: raw.jsToken };
      expect((await raw.get('/rest/2.0/xpan/file', q)).json.errno).to.equal(2);
      expect((await raw.get('/rest/2.0/xpan/file', { ...q, bdstoken: 'f'.repeat(32) })).json.errno).to.equal(2);
      expect((await raw.get('/rest/2.0/xpan/file', { ...q, bdstoken: raw.bdstoken })).json.errno).to.equal(0);
      expect((await raw.get('/rest/2.0/xpan/file', { method: 'list', dir: '/', bdstoken: raw.bdstoken })).json.errno).to.equal(4000023);
    });
  });

  describe('regions', () => {
    it('answers -6 with Url-Domain-Prefix on the main host, and works on its region listener', async () => {
      const { cookie } = h.emu.addAccount({ region: 'jp' });
      const main = new Raw(h.emu.url, cookie);
      const list = await main.list('/');
      expect(list.json.errno).to.equal(-6);
      expect(list.headers['url-domain-prefix']).to.equal('jp');
      const login = await main.get('/api/check/login');
      expect(login.json.errno).to.equal(-6);
      expect(login.headers['region-domain-prefix']).to.equal('jp');
      expect(login.headers['url-domain-prefix']).to.equal('jp');

      const jp = await rawClient(h.emu, cookie, h.emu.regionUrls.jp);
      expect((await jp.get('/api/check/login')).json.errno).to.equal(0);
      expect((await jp.upload('/in-japan.txt', Buffer.from('konnichiwa'))).json.errno).to.equal(0);
      expect((await jp.list('/')).json.list.map((i: { path: string }) => i.path)).to.deep.equal(['/in-japan.txt']);

      const us = new Raw(h.emu.regionUrls.us!, cookie);
      expect((await us.list('/')).json.errno).to.equal(-6);
    });

    it('redirects the page to the region host', async () => {
      const { cookie } = h.emu.addAccount({ region: 'jp' });
      const res = await request(`${h.emu.url}/main`, { headers: { cookie } });
      await res.body.dump();
      expect(res.statusCode).to.equal(302);
      expect(res.headers.location).to.equal(`${h.emu.regionUrls.jp}/main`);
    });

    it('locateupload names the listener asked, and superfile2 on the wrong host answers 31045', async () => {
      const { cookie } = h.emu.addAccount({ region: 'jp' });
      const jpUrl = new URL(h.emu.regionUrls.jp!);
      const located = await new Raw(h.emu.regionUrls.jp!, '').get('/rest/2.0/pcs/file', { method: 'locateupload' });
      expect(located.json).to.include({ host: jpUrl.host, error_code: 0 });
      const mainLocated = await new Raw(h.emu.url, '').get('/rest/2.0/pcs/file', { method: 'locateupload' });
      expect(mainLocated.json.host).to.equal(new URL(h.emu.url).host);

      const jp = await rawClient(h.emu, cookie, h.emu.regionUrls.jp);
      const pre = await jp.precreate('/r.bin', 3, [md5('abc')]);
      const wrong = await jp.superfile2('/r.bin', pre.json.uploadid, 0, Buffer.from('abc'), h.emu.url);
      expect(wrong.json.error_code).to.equal(31045);
      expect(wrong.headers['url-domain-prefix']).to.equal('jp');
      const right = await jp.superfile2('/r.bin', pre.json.uploadid, 0, Buffer.from('abc'), `http://${located.json.host}`);
      expect(right.json.md5).to.equal(md5('abc'));
    });

    it('accounts without a region work on every listener', async () => {
      for (const base of [h.emu.url, h.emu.regionUrls.jp!, h.emu.regionUrls.us!]) {
        expect((await new Raw(base, h.emu.defaultCookie).list('/')).json.errno).to.equal(0);
      }
    });
  });
});

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
