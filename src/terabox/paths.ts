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

/** `/a/b.txt` → `/a`, `/a` → `/`. */
export function parentDir(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** `/a/b.txt` → `b.txt`; the root is ``. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
