// Remote path checks and pieces. TeraBox paths are absolute, `/`-separated, no trailing slash; bad
// input is refused before any request is made.

import { TeraBoxError } from './errors.js';

/**
 * Throws BAD_REQUEST unless `path` is an absolute remote path (the root included), and INVALID_NAME
 * when its shape is fine but a name holds a character no TeraBox name can (NUL, CR, LF): that is the
 * user's file name, not our request, and TeraBox would refuse it as an invalid name (errno -7).
 */
export function assertRemotePath(path: string, endpoint: string): void {
  const ok =
    typeof path === 'string' &&
    path.startsWith('/') &&
    (path === '/' || !path.endsWith('/')) &&
    !path.includes('//') &&
    !path.split('/').some((seg) => seg === '.' || seg === '..');
  if (!ok) {
    throw new TeraBoxError(`${endpoint}: not an absolute remote path: ${JSON.stringify(path)}`, {
      code: 'BAD_REQUEST',
      endpoint,
    });
  }
  if (/[\0\r\n]/.test(path)) {
    throw new TeraBoxError(`${endpoint}: a name in ${JSON.stringify(path)} holds NUL, CR or LF`, {
      code: 'INVALID_NAME',
      endpoint,
    });
  }
}

/** Longest name TeraBox takes, in UTF-8 bytes (Baidu's limit; the emulator's too). */
export const MAX_NAME_BYTES = 255;

/**
 * Throws INVALID_NAME when a name in the absolute path `path` holds one of `invalidChars` or is longer
 * than MAX_NAME_BYTES: TeraBox would answer errno -7, so say so before any byte is sent.
 */
export function assertValidNames(path: string, invalidChars: string, endpoint: string): void {
  assertRemotePath(path, endpoint);
  for (const name of path.split('/')) {
    // Control characters too: TeraBox refuses them like the listed ones (the emulator does the same).
    const bad = [...name].find((c) => invalidChars.includes(c) || c < ' ' || c === '\x7f');
    const why =
      bad !== undefined
        ? `holds ${JSON.stringify(bad)}, which TeraBox does not allow in names`
        : Buffer.byteLength(name) > MAX_NAME_BYTES
          ? `is longer than ${MAX_NAME_BYTES} bytes`
          : null;
    if (why) throw new TeraBoxError(`the name ${JSON.stringify(name)} ${why}`, { code: 'INVALID_NAME', endpoint });
  }
}

export { baseName, parentOf } from '../util/paths.js';
