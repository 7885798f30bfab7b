// The tree every client copies (≥ 200 files, 4 folders deep, awkward names, sizes at the 4 MiB part
// boundary and one of 50 MiB), with seeded pseudo-random bytes, and the MD5s that compare copies of it.

import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export { md5, MiB } from '../support/index.js';
import { MiB } from '../support/index.js';

export interface TreeFile {
  /** `/`-separated path under the tree's root. */
  rel: string;
  size: number;
  md5: string;
}

export interface Tree {
  files: TreeFile[];
  /** Every folder under the root (`/`-separated, relative), parents before children. */
  dirs: string[];
}

/**
 * The 200-byte name: multi-byte UTF-8 letters, so a server or client that counts characters instead
 * of bytes, or cuts a name mid-character, shows up.
 */
export const LONG_NAME = `long ${'ü'.repeat(95)}x.txt`;

/** Folders 1 to 4 levels deep; the names carry spaces, unicode, `#`, `%`, `+`, `&` and `'`. */
const LEVELS = ['level 1 ünïcødé', "level 2 #hash & 'amp'", 'level 3 100% + plus', 'level 4 日本語 🎉'];

/** Name shapes for the small files; `%41` must stay the three characters it is, never become `A`. */
const SHAPES = [
  (i: number) => `file ${i}.txt`,
  (i: number) => `#${i} hash.bin`,
  (i: number) => `${i}%41 percent%.dat`,
  (i: number) => `a+b&c=${i}.txt`,
  (i: number) => `it's ${i}.md`,
  (i: number) => `ñandú ${i} 日本語.txt`,
];

interface Spec {
  rel: string;
  size: number;
}

/** The layout: which file has which size, before any byte is written. */
function layout(smallFiles: number): { specs: Spec[]; dirs: string[] } {
  const dirs: string[] = [];
  for (let depth = 1; depth <= LEVELS.length; depth++) dirs.push(LEVELS.slice(0, depth).join('/'));
  dirs.push('empty folder', 'only empties');
  const specs: Spec[] = [
    { rel: 'zero.bin', size: 0 },
    { rel: 'one.bin', size: 1 },
    { rel: LONG_NAME, size: 200 },
    { rel: `${dirs[0]}/4MiB-1.bin`, size: 4 * MiB - 1 },
    { rel: `${dirs[1]}/4MiB.bin`, size: 4 * MiB },
    { rel: `${dirs[2]}/4MiB+1.bin`, size: 4 * MiB + 1 },
    { rel: `${dirs[3]}/big 50MiB.bin`, size: 50 * MiB },
    { rel: `${dirs[3]}/empty at depth 4.txt`, size: 0 },
    { rel: 'only empties/nothing.txt', size: 0 },
  ];
  // Small files spread over the root and the four levels, sizes from 1 byte to 12 KiB.
  for (let i = 0; i < smallFiles; i++) {
    const dir = i % 5 === 0 ? '' : `${dirs[(i % 5) - 1]}/`;
    specs.push({ rel: `${dir}${SHAPES[i % SHAPES.length]!(i)}`, size: 1 + ((i * 7919) % (12 * 1024)) });
  }
  return { specs, dirs };
}

/** Seeded bytes: AES-256-CTR over zeros, keyed by seed and path, so each file differs and a run repeats. */
function keystream(seed: string, rel: string) {
  const key = createHash('sha256').update(`${seed}\0${rel}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

const ZEROS = Buffer.alloc(MiB);

/** Writes the tree under `root` (which must not exist yet) and returns what it wrote. */
export async function makeTree(root: string, seed: string, smallFiles = 230): Promise<Tree> {
  const { specs, dirs } = layout(smallFiles);
  await mkdir(root);
  for (const d of dirs) await mkdir(join(root, d), { recursive: true });
  const files: TreeFile[] = [];
  for (const s of specs) {
    const cipher = keystream(seed, s.rel);
    const hash = createHash('md5');
    const fh = await open(join(root, s.rel), 'wx');
    try {
      for (let left = s.size; left > 0; left -= MiB) {
        const chunk = cipher.update(left >= MiB ? ZEROS : ZEROS.subarray(0, left));
        hash.update(chunk);
        await fh.write(chunk);
      }
    } finally {
      await fh.close();
    }
    files.push({ rel: s.rel, size: s.size, md5: hash.digest('hex') });
  }
  return { files, dirs };
}

/** The MD5 of a local file, streamed. */
export async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file and folder under `root`, `/`-separated and relative; readdir-based (no FUSE needed on the source). */
export async function walk(root: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      const rel = relative(root, full).split(sep).join('/');
      if (e.isDirectory()) {
        dirs.push(rel);
        await visit(full);
      } else {
        files.push(rel);
      }
    }
  };
  await visit(root);
  return { files: files.sort(), dirs: dirs.sort() };
}

/** The size and MD5 of each file the tree lists, read from another copy of it under `root`. */
export async function compareCopy(tree: Tree, root: string): Promise<string[]> {
  const problems: string[] = [];
  for (const f of tree.files) {
    const path = join(root, f.rel);
    const st = await stat(path).catch(() => undefined);
    if (!st) {
      problems.push(`${f.rel}: missing`);
      continue;
    }
    if (st.size !== f.size) {
      problems.push(`${f.rel}: ${st.size} bytes, expected ${f.size}`);
      continue;
    }
    // A read error (EIO from a FUSE mount) is a problem to report with the others, not a crash.
    const sum = await md5OfFile(path).catch((e: NodeJS.ErrnoException) => `${e.code ?? e.message}`);
    if (sum !== f.md5) problems.push(`${f.rel}: ${/^[0-9a-f]{32}$/.test(sum) ? 'bytes differ' : `read failed: ${sum}`}`);
  }
  return problems;
}

/** A local folder as a Tree (sizes and MD5s read from disk), e.g. a mirror the test changed. */
export async function treeOf(root: string): Promise<Tree> {
  const { files, dirs } = await walk(root);
  const out: TreeFile[] = [];
  for (const rel of files) {
    const path = join(root, rel);
    out.push({ rel, size: (await stat(path)).size, md5: await md5OfFile(path) });
  }
  return { files: out, dirs };
}
