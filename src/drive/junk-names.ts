// Which names are OS junk (AppleDouble `._*`, `.DS_Store`, `Thumbs.db`, `desktop.ini`) that the drive
// keeps in its local overlay instead of sending to TeraBox.

import picomatch from 'picomatch';

export const DEFAULT_OVERLAY_PATTERNS: readonly string[] = ['._*', '.DS_Store', 'Thumbs.db', 'desktop.ini'];

/**
 * A predicate over base names. Matching ignores case because Windows writes `Thumbs.db` and
 * `Desktop.ini` in whatever case the folder already had, and dot names must match explicit patterns.
 */
export function junkMatcher(patterns: readonly string[] = DEFAULT_OVERLAY_PATTERNS): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  return picomatch([...patterns], { dot: true, nocase: true });
}
