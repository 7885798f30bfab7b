// The session cookie: accepts what users paste (a full cookie string or a bare ndus value) and decides
// which hosts may receive it. Never puts the value in an error message.

import { isIP } from 'node:net';

/** `ndus=<v>; lang=en` for a bare value; a full cookie string is kept as given (trimmed). */
export function normaliseCookie(input: string): string {
  if (typeof input !== 'string') throw new TypeError('TeraBox cookie must be a string');
  let value = input.trim();
  if (/^cookie:/i.test(value)) value = value.slice('cookie:'.length).trim();
  if (value === '') throw new TypeError('TeraBox cookie is empty');
  // A CR, LF or NUL would split the header; refuse rather than send something else than the user gave.
  if (/[\r\n\0]/.test(value)) throw new TypeError('TeraBox cookie contains a line break or NUL');
  if (!value.includes('=')) return `ndus=${value}; lang=en`;
  return value;
}

/**
 * True when a browser holding a cookie for `baseHost`'s site would send it to `host`: the same host, or
 * a sibling under the same parent domain (`www.terabox.com` → any `*.terabox.com`). IP hosts match
 * only themselves (ports do not isolate cookies).
 */
export function cookieAppliesTo(host: string, baseHost: string): boolean {
  const h = host.toLowerCase();
  const b = baseHost.toLowerCase();
  if (h === b) return true;
  if (isIP(h) || isIP(b)) return false;
  const parent = b.split('.').slice(1);
  return parent.length >= 2 && h.endsWith(`.${parent.join('.')}`);
}
