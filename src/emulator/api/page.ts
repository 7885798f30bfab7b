// GET /, /main, /home: the web page. With a valid cookie it carries a fresh jsToken in both forms
// live pages use (§1.5): templateData JSON and the eval(decodeURIComponent(...)) script. Without one,
// a login page with no token.

import { JS_TOKEN_PREFIX, JS_TOKEN_SUFFIX } from '../../terabox/wire.js';
import type { Ctx } from '../http/context.js';

const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' };

function loginPage(): string {
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><title>TeraBox - Log in</title></head>',
    '<body><div id="login"><form action="/passport/login" method="post"><input name="email"><input name="password" type="password"></form></div></body></html>',
  ].join('\n');
}

export async function page(ctx: Ctx): Promise<void> {
  const emu = ctx.emu;
  const account = emu.accounts.byCookie(ctx.req.headers.cookie);
  if (account && account.region !== null && account.region !== ctx.listener.region) {
    // The live site redirects to the account's regional host; the prefix header says which.
    const target = emu.regionUrls[account.region];
    if (target) {
      await ctx.send(302, { location: target + ctx.url.pathname, 'url-domain-prefix': account.region }, '');
      return;
    }
  }
  if (!account || (account.region !== null && account.region !== ctx.listener.region)) {
    await ctx.send(200, HTML, loginPage());
    return;
  }
  const token = emu.tokens.issue(account.id, Date.now(), emu.knobs.tokenTtlMs);
  const encoded = JS_TOKEN_PREFIX + token + JS_TOKEN_SUFFIX;
  const templateData = {
    bdstoken: account.bdstoken,
    jsToken: encoded,
    uk: account.uk,
    username: account.name,
    userVipIdentity: account.vip ? 1 : 0,
    csrf: ctx.requestId.toString(36),
    pcftoken: account.bdstoken.slice(0, 16),
  };
  // Each script sits on its own line: clients match `<script>var templateData = (.*);</script>` per line.
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><title>TeraBox - Free Cloud Storage</title>',
    `<script>var templateData = ${JSON.stringify(templateData)};</script>`,
    `<script>eval(decodeURIComponent(\`${encoded}\`))</script>`,
    '</head><body><div id="app"></div></body></html>',
  ].join('\n');
  await ctx.send(200, { ...HTML, logid: String(ctx.requestId) }, html);
}
