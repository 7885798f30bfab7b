// Remote path rules: validation (errno -7), normalisation, the "name(1).ext" conflict names and the
// category number TeraBox derives from a file name.

import mime from 'mime-types';

/**
 * The normalised absolute path, or null when TeraBox would refuse it with -7: not absolute, an empty,
 * `.` or `..` segment, a segment over 255 UTF-8 bytes, a control character or one of `invalidChars`.
 * One trailing slash is tolerated (clients send `target_path` that way).
 */
export function normalizePath(raw: string | undefined, invalidChars: string): string | null {
  if (raw === undefined || !raw.startsWith('/')) return null;
  if (raw === '/') return '/';
  const path = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  for (const seg of path.slice(1).split('/')) {
    if (!validName(seg, invalidChars)) return null;
  }
  return path;
}

export function validName(name: string, invalidChars: string): boolean {
  if (name === '' || name === '.' || name === '..' || Buffer.byteLength(name) > 255) return false;
  for (const ch of name) {
    if (ch.charCodeAt(0) < 0x20 || ch === '/' || invalidChars.includes(ch)) return false;
  }
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
