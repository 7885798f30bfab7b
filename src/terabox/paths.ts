// Remote path checks and pieces. TeraBox paths are absolute, `/`-separated, no trailing slash; bad
// input is refused before any request is made.

import { TeraBoxError } from './errors.js';

/** Throws BAD_REQUEST unless `path` is an absolute remote path (the root included). */
export function assertRemotePath(path: string, endpoint: string): void {
  const ok =
    typeof path === 'string' &&
    path.startsWith('/') &&
    (path === '/' || !path.endsWith('/')) &&
    !path.includes('//') &&
    !/[\0\r\n]/.test(path) &&
    !path.split('/').some((seg) => seg === '.' || seg === '..');
  if (!ok) {
    throw new TeraBoxError(`${endpoint}: not an absolute remote path: ${JSON.stringify(path)}`, {
      code: 'BAD_REQUEST',
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
