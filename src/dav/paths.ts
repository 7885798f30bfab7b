// Request paths: decoding and validating request targets, Destination headers and If tags, and
// encoding drive paths back into hrefs. Every path the layer hands to the drive passes through here.

import { parentOf } from '../util/paths.js';
import { DavError } from './status.js';

export { isWithin, parentOf } from '../util/paths.js';

export interface DavPath {
  /** Decoded, absolute, `/`-separated, no trailing slash; the root is `/`. */
  path: string;
  /** The client wrote a trailing slash (it means "a collection"). */
  trailingSlash: boolean;
}

function badPath(why: string): DavError {
  return new DavError(400, `Bad request path: ${why}`);
}

/**
 * Header values and request lines reach us as latin1 strings; bytes above 0x7F are raw UTF-8 that a
 * client did not percent-encode, and some clients leave spaces raw in Destination. Escaping them first
 * lets one strict decoder handle both forms.
 */
function escapeRawBytes(raw: string): string {
  return raw.replace(/[ \u0080-\u00ff]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

function decodeSegment(segment: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(segment)) throw badPath('malformed percent-encoding');
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw badPath('percent-encoding is not valid UTF-8');
  }
  if (name === '.' || name === '..') throw badPath('dot segments are not allowed');
  if (name.includes('/')) throw badPath('encoded slashes are not allowed');
  if (name.includes('\0')) throw badPath('NUL is not allowed');
  return name;
}

/** Decodes a path-absolute reference (`/a/b%20c/`); a query is dropped, a fragment is refused. */
export function decodePathReference(raw: string): DavPath {
  if (raw.includes('#')) throw badPath('a fragment is not allowed');
  const query = raw.indexOf('?');
  const pathPart = escapeRawBytes(query >= 0 ? raw.slice(0, query) : raw);
  if (!pathPart.startsWith('/')) throw badPath('not an absolute path');
  // A literal `.` segment names the folder it is in (RFC 3986 §5.2.4) and is dropped: Go's URL
  // writer (rclone) sends `/./a:b.txt` for a first segment holding a colon. `..` and an encoded dot
  // segment stay refused below.
  const names = pathPart
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map(decodeSegment);
  return { path: '/' + names.join('/'), trailingSlash: names.length > 0 && pathPart.endsWith('/') };
}

/** The path of a request target (origin-form `/p`, absolute-form `http://h/p`, or `*` for OPTIONS). */
export function decodeRequestTarget(url: string): DavPath {
  if (url === '*') return { path: '/', trailingSlash: false };
  return decodePathReference(stripOrigin(url));
}

/** Removes `scheme://authority` from an absolute URI, leaving its path (at least `/`). */
function stripOrigin(uri: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(uri);
  if (!m) return uri;
  const rest = uri.slice(m[0].length);
  return rest.startsWith('/') ? rest : '/' + rest;
}

/**
 * A Destination header (RFC 4918 §10.3) or an If resource tag: an absolute URI or an absolute path,
 * or (leniently) a path relative to the request's collection. The host is not compared here: COPY and
 * MOVE check a Destination's authority themselves (own Host or server.publicUrl).
 */
export function decodeUriReference(value: string, base: DavPath): DavPath {
  const trimmed = value.trim();
  if (trimmed === '') throw badPath('empty URI');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(trimmed) || trimmed.startsWith('/')) {
    return decodePathReference(stripOrigin(trimmed));
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(trimmed)) throw badPath('unsupported URI scheme');
  const baseDir = base.trailingSlash ? base.path : parentOf(base.path);
  return decodePathReference(encodePath(baseDir) + (baseDir === '/' ? '' : '/') + trimmed);
}

/** The strict ancestors of a path, nearest last: `/a/b/c` → `/`, `/a`, `/a/b`. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== '/'; ) {
    p = parentOf(p);
    out.unshift(p);
  }
  return out;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The path-absolute, percent-encoded href of a drive path; collections end in `/`. */
export function hrefFor(path: string, isDir: boolean): string {
  if (path === '/') return '/';
  return encodePath(path) + (isDir ? '/' : '');
}
