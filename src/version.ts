// The product's version, read once from package.json (two levels up from both src/ and dist/src/).

import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'terabox-webdav' && pkg.version) {
        cached = pkg.version;
        return cached;
      }
    } catch {
      // not at this level
    }
  }
  cached = 'unknown';
  return cached;
}
