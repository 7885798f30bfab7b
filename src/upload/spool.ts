// The spool folder: one file per upload body. A single file (not one per block) because parts are
// read back as file-backed Blob slices at any offset, a re-hash with another block size needs no
// re-cutting, and cleanup or the start-up sweep is one unlink per upload.

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, rm, statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const SUFFIX = '.spool';

export class SpoolDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** A fresh, unused spool file path (the file is created by whoever writes it). */
  newFile(): string {
    return join(this.dir, `${randomUUID()}${SUFFIX}`);
  }

  /** Bytes an unprivileged writer may still put on the spool's file system. */
  async freeBytes(): Promise<number> {
    const fs = await statfs(this.dir);
    return fs.bavail * fs.bsize;
  }

  /** Removes a spool file; a file already gone is fine. */
  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  /** Removes every spool file `keep` does not claim (journalled or in use); returns what it removed. */
  async sweep(keep: (file: string) => boolean): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.dir)) {
      const file = join(this.dir, name);
      if (!name.endsWith(SUFFIX) || keep(file)) continue;
      await this.remove(file);
      removed.push(file);
    }
    return removed;
  }
}
