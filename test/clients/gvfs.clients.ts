// GNOME gvfs (`gio`, the engine of Files/Nautilus) against the drive: the file-manager session with
// awkward names, quota after a copy and a delete as `gio info -f` shows it, and a refusal's reason as
// gvfs shows it. gio runs on a private D-Bus session bus (gvfsd starts itself on it), headless.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installPackages, runCommand, type CommandResult } from './commands.js';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';
import { fileManagerSession, type FileManager } from './file-manager-session.js';

/** A D-Bus session bus of our own; gvfsd and its backends live on it and go when it goes. */
async function startBus(env: NodeJS.ProcessEnv): Promise<{ address: string; pid: number }> {
  const proc = spawn('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((done, fail) => {
    proc.once('exit', (code) => (code === 0 ? done() : fail(new Error(`dbus-daemon exited with ${code}`))));
  });
  const [address, pid] = out.trim().split('\n');
  return { address: address!, pid: Number(pid) };
}

describe('gvfs (gio) against the drive', () => {
  let rig: DriveRig;
  let env: NodeJS.ProcessEnv;
  let bus: { address: string; pid: number } | undefined;
  let local: string;

  function uri(path: string): string {
    const port = new URL(rig.url).port;
    return `dav://127.0.0.1:${port}${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  async function gio(args: string[]): Promise<CommandResult> {
    return runCommand('gio', args, { env, timeoutMs: 120_000 });
  }

  async function ok(args: string[]): Promise<CommandResult> {
    const r = await gio(args);
    expect(r.code, `gio ${args.join(' ')}\n${r.stderr}`).to.equal(0);
    return r;
  }

  const fm: FileManager = {
    mkdir: async (path) => void (await ok(['mkdir', uri(path)])),
    upload: async (file, path) => void (await ok(['copy', file, uri(path)])),
    list: async (path) =>
      (await ok(['list', uri(path)])).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!),
    rename: async (path, name) => void (await ok(['rename', uri(path), name])),
    move: async (from, to) => void (await ok(['move', uri(from), uri(to)])),
    copy: async (from, to) => void (await ok(['copy', uri(from), uri(to)])),
    read: async (path) => {
      const out = join(local, `read-${Date.now()}-${Math.random()}`);
      await ok(['copy', uri(path), out]);
      return readFile(out);
    },
    removeTree: async (path) => {
      const r = await gio(['remove', uri(path)]);
      if (r.code === 0) return;
      // gvfs refuses to delete a non-empty folder, as Files does: empty it first, depth first.
      for (const name of await fm.list(path)) {
        const child = `${path}/${name}`;
        const info = await ok(['info', '-a', 'standard::type', uri(child)]);
        if (/standard::type: 2/.test(info.stdout)) await fm.removeTree(child);
        else await ok(['remove', uri(child)]);
      }
      await ok(['remove', uri(path)]);
    },
  };

  before(async function () {
    this.timeout(600_000);
    await installPackages(['gvfs', 'gvfs-backends', 'gvfs-daemons', 'dbus']);
    rig = await startRig({ name: 'gvfs' });
    local = join(rig.tmp, 'local');
    const home = join(rig.tmp, 'home');
    const runtime = join(rig.tmp, 'runtime');
    await mkdir(local);
    await mkdir(home);
    await mkdir(runtime, { mode: 0o700 });
    env = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, LANG: 'C.UTF-8', GIO_USE_VFS: 'gvfs' };
    bus = await startBus(env);
    env.DBUS_SESSION_BUS_ADDRESS = bus.address;
    await ok(['mount', uri('/')]);
  });

  after(async () => {
    if (bus) {
      await runCommand('gio', ['mount', '-u', `dav://127.0.0.1:${new URL(rig.url).port}/`], { env, timeoutMs: 30_000 }).catch(
        () => undefined,
      );
      process.kill(bus.pid, 'SIGTERM');
    }
    await rig?.close();
  });

  fileManagerSession(
    () => rig,
    () => fm,
    () => local,
  );

  it('shows the quota moving at once after a 3 MiB copy and after its delete (gio info -f)', async () => {
    const used = async () => Number(/filesystem::used: (\d+)/.exec((await ok(['info', '-f', uri('/')])).stdout)![1]);
    const before = await used();
    const file = join(local, 'three.bin');
    await writeFile(file, Buffer.alloc(3 * 1024 * 1024, 3));
    await ok(['copy', file, uri('/three.bin')]);
    expect(await used()).to.equal(before + 3 * 1024 * 1024);
    await ok(['remove', uri('/three.bin')]);
    expect(await used()).to.equal(before);
  });

  it('shows why a request was refused, not only "Bad Request"', async () => {
    const r = await gio(['mkdir', uri(`/${'n'.repeat(300)}`)]);
    expect(r.code).not.to.equal(0);
    expect(r.stderr, r.stderr).to.match(/HTTP Error: Bad Request: .*255/);
  });

  it('left no error in the server log', () => {
    expect(errorLines(rig)).to.deep.equal([]);
  });
});
