// The token-refresh and region-switch wrappers alone, over scripted replies.

import { expect } from 'chai';
import type { Reply } from '../../src/terabox/http.js';
import { regionPrefixOf, withRegionSwitch } from '../../src/terabox/region-switch.js';
import { asksForToken, withTokenRefresh, type TokenHolder } from '../../src/terabox/token-refresh.js';
import { Errno } from '../../src/terabox/wire.js';

function reply(errno: number, headers: Reply['headers'] = {}, errmsg?: string): Reply {
  return { endpoint: '/api/x', status: 200, headers, body: { errno }, errno, errmsg };
}

class FakeTokens implements TokenHolder {
  tokenGeneration = 0;
  ensured = 0;
  refreshed: number[] = [];
  async ensureTokens(): Promise<void> {
    this.ensured++;
  }
  async refreshTokens(seen: number): Promise<void> {
    this.refreshed.push(seen);
    this.tokenGeneration++;
  }
}

function scripted(replies: Reply[]): { attempt: () => Promise<Reply>; calls: () => number } {
  let n = 0;
  return { attempt: async () => replies[Math.min(n++, replies.length - 1)]!, calls: () => n };
}

describe('token refresh wrapper', () => {
  for (const errno of [Errno.NEED_VERIFY, Errno.JS_TOKEN_FILEMANAGER, Errno.SHARE_LIST_VERIFY, Errno.SHARE_TRANSFER_VERIFY]) {
    it(`re-scrapes once and repeats the call once on errno ${errno}`, async () => {
      const tokens = new FakeTokens();
      const s = scripted([reply(errno), reply(0)]);
      const out = await withTokenRefresh(tokens, 'optional', s.attempt);
      expect(out.errno).to.equal(0);
      expect(s.calls()).to.equal(2);
      expect(tokens.refreshed).to.deep.equal([0]);
    });
  }

  it('reacts to errmsg "need verify" with an errno of its own', () => {
    expect(asksForToken(reply(2, {}, 'need verify'))).to.equal(true);
    expect(asksForToken(reply(2, {}, 'param error'))).to.equal(false);
  });

  it('hands back the second refusal instead of looping', async () => {
    const tokens = new FakeTokens();
    const s = scripted([reply(Errno.NEED_VERIFY), reply(Errno.NEED_VERIFY), reply(0)]);
    const out = await withTokenRefresh(tokens, 'optional', s.attempt);
    expect(out.errno).to.equal(Errno.NEED_VERIFY);
    expect(s.calls()).to.equal(2);
    expect(tokens.refreshed).to.have.length(1);
  });

  it('fetches tokens first for calls that require them, and only for those', async () => {
    const tokens = new FakeTokens();
    await withTokenRefresh(tokens, 'required', scripted([reply(0)]).attempt);
    await withTokenRefresh(tokens, 'optional', scripted([reply(0)]).attempt);
    expect(tokens.ensured).to.equal(1);
    expect(tokens.refreshed).to.deep.equal([]);
  });

  it('tells the session which token generation failed, so concurrent failures scrape once', async () => {
    const tokens = new FakeTokens();
    tokens.tokenGeneration = 7;
    await withTokenRefresh(tokens, 'optional', scripted([reply(Errno.JS_TOKEN_FILEMANAGER), reply(0)]).attempt);
    expect(tokens.refreshed).to.deep.equal([7]);
  });
});

describe('region switch wrapper', () => {
  it('switches to the Url-Domain-Prefix region on errno -6 and repeats the call once', async () => {
    const switched: string[] = [];
    const s = scripted([reply(Errno.NOT_LOGGED_IN, { 'url-domain-prefix': 'jp' }), reply(0)]);
    const out = await withRegionSwitch(
      {
        switchRegion: (p) => {
          switched.push(p);
          return true;
        },
      },
      s.attempt,
    );
    expect(out.errno).to.equal(0);
    expect(switched).to.deep.equal(['jp']);
    expect(s.calls()).to.equal(2);
  });

  it('also reads the region-domain-prefix header', () => {
    expect(regionPrefixOf(reply(-6, { 'region-domain-prefix': ' us ' }))).to.equal('us');
    expect(regionPrefixOf(reply(-6, { 'url-domain-prefix': ['sg', 'x'] }))).to.equal('sg');
    expect(regionPrefixOf(reply(-6, {}))).to.equal(undefined);
  });

  it('leaves -6 without a prefix header alone (a bad cookie)', async () => {
    const s = scripted([reply(Errno.NOT_LOGGED_IN), reply(0)]);
    const out = await withRegionSwitch({ switchRegion: () => expect.fail('switched without a header') }, s.attempt);
    expect(out.errno).to.equal(Errno.NOT_LOGGED_IN);
    expect(s.calls()).to.equal(1);
  });

  it('does not repeat when the session refuses the switch (already there)', async () => {
    const s = scripted([reply(Errno.NOT_LOGGED_IN, { 'url-domain-prefix': 'jp' }), reply(0)]);
    const out = await withRegionSwitch({ switchRegion: () => false }, s.attempt);
    expect(out.errno).to.equal(Errno.NOT_LOGGED_IN);
    expect(s.calls()).to.equal(1);
  });

  it('ignores the header on other errnos', async () => {
    const s = scripted([reply(Errno.NOT_FOUND, { 'url-domain-prefix': 'jp' })]);
    await withRegionSwitch({ switchRegion: () => expect.fail('switched on -9') }, s.attempt);
    expect(s.calls()).to.equal(1);
  });
});
