// jsToken handling around one call (protocol §1.5, §4.3): fetch the page tokens first when the call
// needs them, and when the answer says the token is missing or stale (4000023, 450016, 4000020,
// 400810 or errmsg "need verify"), re-scrape once and repeat the call once.

import type { Reply } from './http.js';
import { TOKEN_REFRESH_ERRNOS } from './wire.js';

export interface TokenHolder {
  readonly tokenGeneration: number;
  ensureTokens(): Promise<void>;
  refreshTokens(seenGeneration: number): Promise<void>;
}

/** `required`: scrape before the first attempt if no token is known; `optional`: only on refusal. */
export type TokenNeed = 'required' | 'optional';

export function asksForToken(reply: Pick<Reply, 'errno' | 'errmsg'>): boolean {
  return TOKEN_REFRESH_ERRNOS.includes(reply.errno) || (reply.errmsg !== undefined && /need verify/i.test(reply.errmsg));
}

export async function withTokenRefresh<R extends Pick<Reply, 'errno' | 'errmsg'>>(
  session: TokenHolder,
  need: TokenNeed,
  attempt: () => Promise<R>,
): Promise<R> {
  if (need === 'required') await session.ensureTokens();
  const seen = session.tokenGeneration;
  const reply = await attempt();
  if (!asksForToken(reply)) return reply;
  await session.refreshTokens(seen);
  return attempt();
}
