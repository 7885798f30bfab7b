// The file-manager session of issue 10, for any client that can be driven file by file (gvfs `gio`,
// KIO `kioclient5`): copy a folder tree in with awkward names, list it, rename, move, copy server-side,
// overwrite, read everything back and compare, delete the tree. Each step's effect is checked on
// TeraBox (the emulator) as well as through the client.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DriveRig } from './drive-rig.js';

/** What a file manager does, in the client's own terms; paths are drive paths (`/fm/a:b.txt`). */
export interface FileManager {
  mkdir(path: string): Promise<void>;
  /** Uploads a local file to `path`, replacing what is there. */
  upload(local: string, path: string): Promise<void>;
  /** Names in a folder, as the client shows them. */
  list(path: string): Promise<string[]>;
  rename(path: string, newName: string): Promise<void>;
  move(from: string, to: string): Promise<void>;
  copy(from: string, to: string): Promise<void>;
  /** The file's bytes, downloaded by the client. */
  read(path: string): Promise<Buffer>;
  /** Deletes a folder and everything in it. */
  removeTree(path: string): Promise<void>;
}

/** Names that need mapping (`: ? * |`), quoting (`'`, `#`, `%`, spaces) or UTF-8. */
export const SESSION_FILES: Record<string, number> = {
  'plain.txt': 100,
  'a:b.txt': 200,
  'what?.txt': 300,
  'st*r.txt': 400,
  "it's #1 100%.txt": 500,
  'ünï 日本.txt': 600,
  'sub dir/deep.bin': 1024 * 1024 + 7,
  'sub dir/x|y.txt': 700,
};

/** The same name as TeraBox stores it (full-width look-alikes). */
function stored(path: string): string {
  return path.replace(/[:?*|]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));
}

export function fileManagerSession(rig: () => DriveRig, fm: () => FileManager, localDir: () => string): void {
  const contents = new Map<string, Buffer>();
  const root = '/fm session';

  it('copies a tree in, awkward names included; TeraBox holds the mapped names', async () => {
    await mkdir(join(localDir(), 'sub dir'), { recursive: true });
    await fm().mkdir(root);
    await fm().mkdir(`${root}/sub dir`);
    for (const [rel, size] of Object.entries(SESSION_FILES)) {
      const bytes = randomBytes(size);
      const local = join(localDir(), rel.replace(/[^A-Za-z0-9./ -]/g, '_'));
      await writeFile(local, bytes);
      await fm().upload(local, `${root}/${rel}`);
      contents.set(`${root}/${rel}`, bytes);
    }
    for (const [path, bytes] of contents) {
      const entry = await rig().terabox.entry(stored(path));
      expect(entry?.size, `TeraBox ${stored(path)}`).to.equal(bytes.length);
    }
  });

  it('lists the folders with the names as written', async () => {
    expect((await fm().list(root)).sort()).to.deep.equal(
      ['plain.txt', 'a:b.txt', 'what?.txt', 'st*r.txt', "it's #1 100%.txt", 'ünï 日本.txt', 'sub dir'].sort(),
    );
    expect((await fm().list(`${root}/sub dir`)).sort()).to.deep.equal(['deep.bin', 'x|y.txt']);
  });

  it('renames, moves and copies (server-side: no byte goes up again)', async () => {
    await fm().rename(`${root}/plain.txt`, 'ren:amed.txt');
    await fm().move(`${root}/what?.txt`, `${root}/sub dir/what?.txt`);
    await rig().terabox.resetStats();
    await fm().copy(`${root}/sub dir/deep.bin`, `${root}/deep copy.bin`);
    const stats = await rig().terabox.stats();
    expect(stats.endpoints.superfile2?.requests ?? 0, 'parts uploaded by the copy').to.equal(0);
    for (const [from, to] of [
      ['plain.txt', 'ren:amed.txt'],
      ['what?.txt', 'sub dir/what?.txt'],
    ]) {
      contents.set(`${root}/${to}`, contents.get(`${root}/${from}`)!);
      contents.delete(`${root}/${from}`);
    }
    contents.set(`${root}/deep copy.bin`, contents.get(`${root}/sub dir/deep.bin`)!);
    expect(await rig().terabox.entry(stored(`${root}/ren:amed.txt`))).not.to.equal(null);
    expect(await rig().terabox.entry(`${root}/plain.txt`)).to.equal(null);
    expect((await fm().list(`${root}/sub dir`)).sort()).to.deep.equal(['deep.bin', 'what?.txt', 'x|y.txt']);
  });

  it('overwrites a file', async () => {
    const bytes = randomBytes(12_345);
    const local = join(localDir(), 'new version.bin');
    await writeFile(local, bytes);
    await fm().upload(local, `${root}/a:b.txt`);
    contents.set(`${root}/a:b.txt`, bytes);
    expect((await rig().terabox.entry(stored(`${root}/a:b.txt`)))?.size).to.equal(bytes.length);
  });

  it('reads every file back, byte for byte', async () => {
    for (const [path, bytes] of contents) {
      const got = await fm().read(path);
      expect(got.equals(bytes), `${path}: ${got.length} bytes read, ${bytes.length} written`).to.equal(true);
    }
  });

  it('deletes the tree', async () => {
    await fm().removeTree(root);
    expect(await fm().list('/')).not.to.include(root.slice(1));
    const left = [...(await rig().terabox.tree()).keys()].filter((p) => p.startsWith(root));
    expect(left).to.deep.equal([]);
  });
}

/** Reads a file the client downloaded to `local`. */
export function readLocal(local: string): Promise<Buffer> {
  return readFile(local);
}
