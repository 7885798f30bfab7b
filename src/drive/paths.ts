// Drive path grammar: validation and the parent/name/subtree arithmetic every other module relies on.

import { joinPath } from '../util/paths.js';
import { DriveError } from './types.js';

export { baseName, isStrictlyUnder, joinPath, parentOf } from '../util/paths.js';

export const ROOT = '/';

/**
 * Checks a drive path (absolute, decoded, `/`-separated) and returns it in canonical form: no trailing
 * slash except for the root. Empty, `.` and `..` segments are refused rather than resolved, because a
 * path that needs resolving did not come from the WebDAV layer's own normalisation.
 */
export function normalizePath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new DriveError('INVALID_NAME', `not an absolute path: ${JSON.stringify(path)}`);
  }
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (trimmed === '') return ROOT;
  if (trimmed === ROOT) return ROOT;
  for (const segment of trimmed.slice(1).split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new DriveError('INVALID_NAME', `invalid path segment in ${JSON.stringify(path)}`);
    }
    if (segment.includes('\0')) throw new DriveError('INVALID_NAME', `NUL byte in ${JSON.stringify(path)}`);
  }
  return trimmed;
}

/** The path that `path` (equal to or under `from`) takes when the subtree `from` moves to `to`. */
export function rebase(path: string, from: string, to: string): string {
  if (path === from) return to;
  return joinPath(to, path.slice(from === ROOT ? 1 : from.length + 1));
}
