// Region switching around one call (protocol §1.2): errno -6 with a `Url-Domain-Prefix` (or
// `region-domain-prefix`) header means "this account lives on <prefix>.terabox.com"; move the
// session there and repeat the call once.

import type { Reply } from './http.js';
import { Errno, REGION_HEADERS } from './wire.js';

export interface RegionSwitchable {
  /** False when the prefix is unusable or already current: then the answer stands. */
  switchRegion(prefix: string): boolean;
}

/** The region prefix an answer points to, if it carries one. */
export function regionPrefixOf(reply: Pick<Reply, 'headers'>): string | undefined {
  for (const name of REGION_HEADERS) {
    const raw = reply.headers[name];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (value) return value;
  }
  return undefined;
}

export async function withRegionSwitch<R extends Pick<Reply, 'errno' | 'headers'>>(
  session: RegionSwitchable,
  attempt: () => Promise<R>,
): Promise<R> {
  const reply = await attempt();
  if (reply.errno !== Errno.NOT_LOGGED_IN) return reply;
  const prefix = regionPrefixOf(reply);
  if (prefix === undefined || !session.switchRegion(prefix)) return reply;
  return attempt();
}

/**
 * errno -7 ("invalid file name or path") for a name the client already checked has also come from
 * regional account migrations and intermittently, and a repeat cleared it (docs/terabox-protocol.md
 * §7): repeat the call once. The server did not act on the refused call, so this is safe for any call.
 */
export async function withInvalidNameRetry<R extends Pick<Reply, 'errno'>>(attempt: () => Promise<R>): Promise<R> {
  const reply = await attempt();
  return reply.errno === Errno.INVALID_NAME ? attempt() : reply;
}
