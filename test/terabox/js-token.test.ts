// Token extraction from both forms of the web page (protocol §1.5, §1.6).

import { expect } from 'chai';
import { extractPageTokens } from '../../src/terabox/js-token.js';
import { JS_TOKEN_PREFIX, JS_TOKEN_SUFFIX } from '../../src/terabox/wire.js';

const TOKEN = '2F1E8C4A0B9D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D';

function evalPage(token: string): string {
  return `<!doctype html><html><head><script>eval(decodeURIComponent(\`${JS_TOKEN_PREFIX}${token}${JS_TOKEN_SUFFIX}\`))</script></head><body></body></html>`;
}

function templatePage(data: Record<string, unknown>): string {
  return `<html><head><script>var templateData = ${JSON.stringify(data)};</script><script src="/x.js"></script></head></html>`;
}

describe('page token extraction', () => {
  it('reads the jsToken from the inline eval(decodeURIComponent(...)) script', () => {
    expect(extractPageTokens(evalPage(TOKEN)).jsToken).to.equal(TOKEN);
  });

  it('reads the jsToken from templateData, where it is the encoded fn("...") call', () => {
    const page = templatePage({ jsToken: `${JS_TOKEN_PREFIX}${TOKEN}${JS_TOKEN_SUFFIX}`, bdstoken: 'abcdef0123456789abcdef0123456789' });
    const tokens = extractPageTokens(page);
    expect(tokens.jsToken).to.equal(TOKEN);
    expect(tokens.bdstoken).to.equal('abcdef0123456789abcdef0123456789');
  });

  it('reads uk and the VIP identity from templateData', () => {
    const tokens = extractPageTokens(templatePage({ jsToken: TOKEN, uk: 4398046511104, userVipIdentity: 1 }));
    expect(tokens).to.deep.equal({ jsToken: TOKEN, bdstoken: undefined, uk: 4398046511104, vipIdentity: 1 });
  });

  it('falls back to the inline script when templateData has no jsToken', () => {
    const page = templatePage({ bdstoken: 'feedface' }) + evalPage(TOKEN);
    expect(extractPageTokens(page)).to.include({ jsToken: TOKEN, bdstoken: 'feedface' });
  });

  it('finds a bdstoken written as plain text outside templateData', () => {
    const page = `${evalPage(TOKEN)}<script>window.locals = {"bdstoken":"0011aabb"}</script>`;
    expect(extractPageTokens(page).bdstoken).to.equal('0011aabb');
  });

  it('takes the first token when the page repeats the script', () => {
    expect(extractPageTokens(evalPage('FIRST') + evalPage('SECOND')).jsToken).to.equal('FIRST');
  });

  it('finds nothing in a login or captcha page', () => {
    const tokens = extractPageTokens('<html><body><form action="/login">reCAPTCHA</form></body></html>');
    expect(tokens.jsToken).to.equal(undefined);
    expect(tokens.bdstoken).to.equal(undefined);
  });

  it('ignores a malformed templateData and a token with markup in it', () => {
    expect(extractPageTokens('<script>var templateData = {not json};</script>').jsToken).to.equal(undefined);
    expect(extractPageTokens(evalPage('a"><script>')).jsToken).to.equal(undefined);
  });
});
