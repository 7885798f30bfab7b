// The arithmetic of absolute `/`-separated paths (no trailing slash, the root is `/`), shared by every
// layer: WebDAV request paths, drive paths and TeraBox remote paths have the same shape. Validation
// differs per layer (each refuses what its own caller must not send) and stays there.

/** The folder holding `path`: `/a/b.txt` → `/a`, `/a` → `/`; the root is its own parent. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last name of `path`: `/a/b.txt` → `b.txt`; `` for the root. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `name` inside the folder `dir`. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** True when `path` is `root` or lies below it. */
export function isWithin(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/** True when `path` lies strictly below `dir`. */
export function isStrictlyUnder(path: string, dir: string): boolean {
  if (dir === '/') return path !== '/';
  return path.startsWith(`${dir}/`);
}
