// Remote path rules: validation (errno -7), normalisation, the "name(1).ext" conflict names and the
// category number TeraBox derives from a file name.

import mime from 'mime-types';

/** Longest name TeraBox takes, in UTF-8 bytes (rclone found it by trial). */
export const MAX_NAME_BYTES = 255;
/** Longest path TeraBox takes, in characters (code points; Baidu's documented rule). */
export const MAX_PATH_CHARS = 1000;

/** The name rules in force: the knobs that shape them (EmulatorKnobs has them all). */
export interface NameRules {
  /** Characters refused anywhere in a name. */
  invalidNameChars: string;
  /** Refuse a name starting with a space (Baidu's rule; rclone does not escape it). */
  refuseLeadingSpace: boolean;
  /** Refuse a name starting with a dot (Baidu's rule; rclone does not escape it, dot files are common). */
  refuseLeadingDot: boolean;
}

/** Only the shape of a path: for looking up what the store holds, never for what a client asks. */
export const SHAPE_ONLY: NameRules = { invalidNameChars: '', refuseLeadingSpace: false, refuseLeadingDot: false };

/**
 * The normalised absolute path, or null when TeraBox would refuse it with -7: not absolute, longer
 * than 1000 characters, an empty, `.` or `..` segment, or a name validName refuses. One trailing slash
 * is tolerated (clients send `target_path` that way).
 */
export function normalizePath(raw: string | undefined, rules: NameRules): string | null {
  if (raw === undefined || !raw.startsWith('/')) return null;
  if (raw === '/') return '/';
  const path = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  if (rules !== SHAPE_ONLY && codePoints(path) > MAX_PATH_CHARS) return null;
  for (const seg of path.slice(1).split('/')) {
    if (seg === '' || seg === '.' || seg === '..') return null;
    if (rules !== SHAPE_ONLY && !validName(seg, rules)) return null;
  }
  return path;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * False when TeraBox would refuse `name` (errno -7): empty, `.` or `..`, over 255 UTF-8 bytes, a
 * control character (U+0000..U+001F) or DEL, `/` or one of `invalidNameChars`, a trailing dot or
 * space, and (knobs, default off) a leading space or dot.
 */
export function validName(name: string, rules: NameRules): boolean {
  if (name === '' || name === '.' || name === '..' || Buffer.byteLength(name) > MAX_NAME_BYTES) return false;
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || ch === '/' || rules.invalidNameChars.includes(ch)) return false;
  }
  const last = name[name.length - 1];
  if (last === '.' || last === ' ') return false;
  if (rules.refuseLeadingSpace && name.startsWith(' ')) return false;
  if (rules.refuseLeadingDot && name.startsWith('.')) return false;
  return true;
}

// Path arithmetic is syntax, not protocol behaviour: the emulator shares it with the client (util/paths.ts).
export { baseName, isWithin, joinPath, parentOf } from '../util/paths.js';

/** The n-th conflict name: "a.txt" → "a(1).txt"; directories and dot-files keep no extension. */
export function numberedName(name: string, n: number, isDir: boolean): string {
  const dot = isDir ? -1 : name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}(${n})${name.slice(dot)}` : `${name}(${n})`;
}

const DOCUMENT_TYPES = /^(text\/|application\/(pdf|msword|rtf|epub|vnd\.(ms-|openxmlformats|oasis)))/;
const APP_EXT = /\.(exe|msi|apk|dmg|pkg|deb|rpm|appimage|ipa|bat|sh)$/i;

/** TeraBox's category: 1 video, 2 audio, 3 image, 4 document, 5 application, 6 other, 7 torrent. */
export function categoryOf(name: string, isDir: boolean): number {
  if (isDir) return 6;
  if (/\.torrent$/i.test(name)) return 7;
  if (APP_EXT.test(name)) return 5;
  const type = mime.lookup(name) || '';
  if (type.startsWith('video/')) return 1;
  if (type.startsWith('audio/')) return 2;
  if (type.startsWith('image/')) return 3;
  if (DOCUMENT_TYPES.test(type)) return 4;
  return 6;
}
