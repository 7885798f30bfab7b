// What "the copy is right" means, checked two ways: on TeraBox (the emulator's store, byte for byte,
// and nothing else there) and through WebDAV (GET every file, list every folder).

import { createHash } from 'node:crypto';
import { request } from 'undici';
import type { DriveRig } from './drive-rig.js';
import type { Tree } from './tree.js';
import { dav, parseMultistatus } from '../dav/client.js';

/** `/a b/c#d` → `/a%20b/c%23d`: each segment percent-encoded, as a client puts it on the wire. */
export function hrefOf(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** Joins a remote folder (`/x`, or `` for the root) and a tree-relative path. */
function under(prefix: string, rel: string): string {
  return `${prefix}/${rel}`;
}

/**
 * Problems with the tree's copy at `prefix` on TeraBox: every file with bytes is stored with exactly
 * those bytes, 0-byte files are not there (TeraBox has none; the drive keeps them locally), every
 * folder exists, and nothing else is under `prefix`.
 */
export async function remoteProblems(rig: DriveRig, prefix: string, tree: Tree): Promise<string[]> {
  const problems: string[] = [];
  const remote = await rig.terabox.tree();
  const expected = new Set<string>();
  for (const d of tree.dirs) {
    const path = under(prefix, d);
    expected.add(path);
    if (!remote.get(path)?.isDir) problems.push(`${path}: folder missing on TeraBox`);
  }
  for (const f of tree.files) {
    const path = under(prefix, f.rel);
    if (f.size === 0) continue;
    expected.add(path);
    const entry = remote.get(path);
    if (!entry || entry.isDir) {
      problems.push(`${path}: file missing on TeraBox`);
      continue;
    }
    if (entry.size !== f.size) {
      problems.push(`${path}: ${entry.size} bytes on TeraBox, expected ${f.size}`);
      continue;
    }
    if ((await rig.terabox.md5(path)) !== f.md5) problems.push(`${path}: bytes on TeraBox differ`);
  }
  for (const path of remote.keys()) {
    if (path.startsWith(`${prefix}/`) && !expected.has(path)) problems.push(`${path}: stray entry on TeraBox`);
  }
  return problems;
}

/** The paths the drive must keep locally for a tree copied to `prefix`: its 0-byte files. */
export function zeroBytePaths(prefix: string, tree: Tree): string[] {
  return tree.files.filter((f) => f.size === 0).map((f) => under(prefix, f.rel));
}

/** GET one path through WebDAV: status and the MD5 of the body. */
export async function getMd5(rig: DriveRig, path: string): Promise<{ status: number; md5: string; size: number }> {
  const res = await request(`${rig.origin}${hrefOf(path)}`, { headers: rig.auth });
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of res.body) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { status: res.statusCode, md5: hash.digest('hex'), size };
}

/** The decoded child paths of a folder, from a Depth 1 PROPFIND (the folder itself excluded). */
export async function davChildren(rig: DriveRig, dir: string): Promise<{ status: number; children: string[] }> {
  const res = await dav(rig.origin, 'PROPFIND', `${hrefOf(dir)}/`, { headers: { ...rig.auth, depth: '1' } });
  if (res.status !== 207) return { status: res.status, children: [] };
  const self = decodeURIComponent(`${hrefOf(dir)}/`);
  const children = parseMultistatus(res.text)
    .map((r) => decodeURIComponent(r.href).replace(/\/$/, ''))
    .filter((p) => `${p}/` !== self);
  return { status: res.status, children: children.sort() };
}

/**
 * Problems with the tree's copy at `prefix` as a WebDAV client sees it: every file GETs with its
 * bytes (0-byte files included), and every folder lists exactly its children.
 */
export async function davProblems(rig: DriveRig, prefix: string, tree: Tree): Promise<string[]> {
  const problems: string[] = [];
  for (const f of tree.files) {
    const path = under(prefix, f.rel);
    const got = await getMd5(rig, path);
    if (got.status !== 200) problems.push(`${path}: GET answered ${got.status}`);
    else if (got.size !== f.size) problems.push(`${path}: GET gave ${got.size} bytes, expected ${f.size}`);
    else if (got.md5 !== f.md5) problems.push(`${path}: GET bytes differ`);
  }
  const childrenOf = new Map<string, string[]>();
  const add = (rel: string) => {
    const cut = rel.lastIndexOf('/');
    const parent = cut < 0 ? prefix : under(prefix, rel.slice(0, cut));
    childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), under(prefix, rel)]);
  };
  childrenOf.set(prefix, []);
  for (const d of tree.dirs) {
    childrenOf.set(under(prefix, d), childrenOf.get(under(prefix, d)) ?? []);
    add(d);
  }
  for (const f of tree.files) add(f.rel);
  for (const [dir, expected] of childrenOf) {
    const listed = await davChildren(rig, dir);
    const want = [...expected].sort();
    if (listed.status !== 207) problems.push(`${dir}/: PROPFIND answered ${listed.status}`);
    else if (JSON.stringify(listed.children) !== JSON.stringify(want)) {
      const extra = listed.children.filter((c) => !want.includes(c));
      const missing = want.filter((c) => !listed.children.includes(c));
      problems.push(`${dir}/: listing differs (extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)})`);
    }
  }
  return problems;
}
