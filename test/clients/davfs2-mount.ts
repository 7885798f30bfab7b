// davfs2 mounts of the drive with a private configuration: its own cache folder per mount (so a
// fresh mount reads from the server, not from an earlier mount's cache), anonymous credentials, and
// a check of /proc/mounts so no mount outlives the test.

import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mustRun, runCommand } from './commands.js';

/** The account mount.davfs runs as when root mounts (Debian's davfs2 package creates it). */
async function davfs2Gid(): Promise<number> {
  const group = await mustRun('getent', ['group', 'davfs2']);
  return Number(group.stdout.split(':')[2]);
}

/** The mount points in /proc/mounts (octal escapes decoded). */
export async function mountedPoints(): Promise<string[]> {
  const text = await readFile('/proc/mounts', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[1]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export class Davfs2Mounts {
  private count = 0;
  private readonly mounted = new Set<string>();

  /**
   * `dir` must be a folder the davfs2 account can traverse (the caches live in it). The user's name
   * and password must not need davfs2's escapes (space, tab, `#`, `\\`, `"`, `'`).
   */
  constructor(
    private readonly url: string,
    private readonly dir: string,
    private readonly user: { name: string; password: string } = { name: '""', password: '""' },
  ) {}

  /**
   * Mounts the drive at a new mount point with an empty cache and returns the mount point.
   * - delay_upload 0: a closed file goes to the server at once, not 10 s later.
   * - buf_size 64: with davfs2's default 16 KiB buffer, reading a folder through the mount fails
   *   with EINVAL on these kernels (the FUSE readdir request outgrew it); 64 KiB makes `ls` and
   *   `rm -r` work. Stat, open, read and write work either way.
   * - ask_auth 0: the credentials come from a private secrets file (empty ones when anonymous).
   */
  async mount(): Promise<string> {
    const n = ++this.count;
    const point = join(this.dir, `mnt-${n}`);
    const cache = join(this.dir, `cache-${n}`);
    const conf = join(this.dir, `davfs2-${n}.conf`);
    const secrets = join(this.dir, `secrets-${n}`);
    await mkdir(point);
    // mount.davfs insists on a cache folder of group davfs2 with mode 775 when root mounts.
    await mkdir(cache);
    await chown(cache, 0, await davfs2Gid());
    await chmod(cache, 0o775);
    await writeFile(secrets, `${this.url} ${this.user.name} ${this.user.password}\n`, { mode: 0o600 });
    await writeFile(
      conf,
      [`cache_dir ${cache}`, `secrets ${secrets}`, 'ask_auth 0', 'use_locks 1', 'delay_upload 0', 'buf_size 64', ''].join('\n'),
    );
    await mustRun('mount', ['-t', 'davfs', '-o', `conf=${conf}`, this.url, point], { timeoutMs: 60_000 });
    this.mounted.add(point);
    return point;
  }

  /** Unmounts; umount.davfs waits until mount.davfs has uploaded every changed file and exited. */
  async unmount(point: string): Promise<void> {
    await mustRun('umount', [point], { timeoutMs: 300_000 });
    this.mounted.delete(point);
    if ((await mountedPoints()).includes(point)) throw new Error(`${point} is still mounted after umount`);
  }

  /** For after hooks: unmounts whatever is still mounted (lazily if a plain umount fails). */
  async unmountAll(): Promise<void> {
    for (const point of [...this.mounted]) {
      const r = await runCommand('umount', [point], { timeoutMs: 300_000 }).catch(() => undefined);
      if (r?.code !== 0) await runCommand('umount', ['-l', point]);
      this.mounted.delete(point);
    }
  }

  /** Mount points of this instance that /proc/mounts still lists. */
  async leftovers(): Promise<string[]> {
    const points = await mountedPoints();
    return points.filter((p) => p.startsWith(`${this.dir}/`));
  }
}
