// Fetches the web root page with the cookie and reads its tokens (protocol §1.5). Redirects are
// followed by hand so a move to another origin (terabox-api's "default hostname changed") is seen.

import { cookieAppliesTo } from './cookie.js';
import { failure, TeraBoxError } from './errors.js';
import type { HttpTransport } from './http.js';
import { extractPageTokens, type PageTokens } from './js-token.js';
import { regionPrefixOf } from './region-switch.js';

const MAX_HOPS = 5;
const PAGE = '/';

export async function fetchPageTokens(
  transport: HttpTransport,
  cookie: string,
  baseUrl: string,
  timeoutMs: number,
): Promise<{ tokens: PageTokens; origin: string; region?: string }> {
  const home = new URL(PAGE, baseUrl);
  let url = home;
  let region: string | undefined;
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const headers: Record<string, string> = {
      'user-agent': transport.userAgent,
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
    };
    if (cookieAppliesTo(url.hostname, home.hostname)) headers.cookie = cookie;
    const { res, rethrow } = await transport.send(PAGE, url, { method: 'GET', headers, deadlineMs: timeoutMs });
    const location = res.headers.location;
    if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
      await res.body.dump().catch(() => undefined);
      // A redirect to the account's regional host names the region as API answers do (§1.2).
      region = regionPrefixOf({ headers: res.headers }) ?? region;
      url = new URL(location, url);
      continue;
    }
    let html: string;
    try {
      html = await res.body.text();
    } catch (err) {
      return rethrow(err);
    }
    if (res.statusCode < 200 || res.statusCode > 299) throw failure(PAGE, { status: res.statusCode });
    const tokens = extractPageTokens(html);
    if (tokens.jsToken === undefined) {
      // Never quote the page: it may hold other tokens.
      throw new TeraBoxError(`${PAGE}: the web page carries no jsToken (cookie expired, or a verification page)`, {
        code: 'AUTH_EXPIRED',
        status: res.statusCode,
        endpoint: PAGE,
      });
    }
    return { tokens, origin: url.origin, region: url.origin !== home.origin ? region : undefined };
  }
  throw new TeraBoxError(`${PAGE}: more than ${MAX_HOPS} redirects`, { code: 'UNKNOWN', endpoint: PAGE });
}
