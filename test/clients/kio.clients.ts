// KDE KIO (`kioclient5`, the engine of Dolphin) against the drive: the file-manager session with
// awkward names and the root's date as KIO shows it. kioclient5 runs headless (offscreen) on a private
// D-Bus session bus; the KDE daemons it starts there (kded5, kcookiejar5, kiod5) are ended by their
// PID, asked of that bus, and the bus itself by its PID.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installPackages, runCommand } from './commands.js';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';
import { fileManagerSession, type FileManager } from './file-manager-session.js';

interface KioResult {
  code: number | null;
  /** What kioclient5 printed (stdout and stderr, from a file: its helpers inherit the descriptors). */
  out: string;
}

describe('KIO (kioclient5) against the drive', () => {
  let rig: DriveRig;
  let env: NodeJS.ProcessEnv;
  let bus: { address: string; pid: number } | undefined;
  let local: string;
  let runs = 0;

  function url(path: string): string {
    const port = new URL(rig.url).port;
    return `webdav://127.0.0.1:${port}${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  function fileUrl(path: string): string {
    return `file://${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** kioclient5 with its output in a file, judged by its exit (a helper may keep a pipe open for long). */
  async function kio(args: string[]): Promise<KioResult> {
    const outPath = join(rig.tmp, `kio-${++runs}.out`);
    const out = await open(outPath, 'w');
    try {
      const proc = spawn('kioclient5', ['--noninteractive', ...args], { env, stdio: ['ignore', out.fd, out.fd] });
      const code = await new Promise<number | null>((done, fail) => {
        const timer = setTimeout(() => {
          proc.kill('SIGKILL');
          fail(new Error(`kioclient5 ${args.join(' ')} did not finish in 120 s`));
        }, 120_000);
        proc.once('exit', (c) => {
          clearTimeout(timer);
          done(c);
        });
      });
      return { code, out: await readFile(outPath, 'utf8') };
    } finally {
      await out.close();
    }
  }

  async function ok(args: string[]): Promise<string> {
    const r = await kio(args);
    expect(r.code, `kioclient5 ${args.join(' ')}\n${r.out}`).to.equal(0);
    return r.out;
  }

  const parentOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
  const nameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

  const fm: FileManager = {
    // KIO has no mkdir command: a file manager's "new folder" is a folder copied in, empty.
    mkdir: async (path) => {
      const holder = await mkdtemp(join(local, 'mkdir-'));
      await mkdir(join(holder, nameOf(path)));
      await ok(['copy', fileUrl(join(holder, nameOf(path))), url(parentOf(path)) + '/']);
    },
    upload: async (file, path) => void (await ok(['copy', '--overwrite', fileUrl(file), url(path)])),
    list: async (path) =>
      (await ok(['ls', url(path) + '/']))
        .split('\n')
        .filter((l) => l !== '' && l !== '.' && l !== '..' && !/^(QStandardPaths|kf\.|QDBus)/.test(l)),
    rename: async (path, name) => void (await ok(['move', url(path), url(`${parentOf(path)}/${name}`)])),
    move: async (from, to) => void (await ok(['move', url(from), url(to)])),
    copy: async (from, to) => void (await ok(['copy', url(from), url(to)])),
    read: async (path) => {
      const target = join(local, `read-${++runs}`);
      await ok(['copy', url(path), fileUrl(target)]);
      return readFile(target);
    },
    removeTree: async (path) => void (await ok(['remove', url(path)])),
  };

  /** The PID of the process owning a bus name on our bus, or undefined. */
  async function ownerPid(name: string): Promise<number | undefined> {
    const r = await runCommand(
      'dbus-send',
      [
        '--session',
        '--dest=org.freedesktop.DBus',
        '--print-reply',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.GetConnectionUnixProcessID',
        `string:${name}`,
      ],
      { env, timeoutMs: 10_000 },
    );
    const m = /uint32 (\d+)/.exec(r.stdout);
    return m ? Number(m[1]) : undefined;
  }

  before(async function () {
    this.timeout(900_000);
    await installPackages(['kio', 'kio-extras', 'kde-cli-tools', 'dbus']);
    rig = await startRig({ name: 'kio' });
    local = join(rig.tmp, 'local');
    const home = join(rig.tmp, 'home');
    const runtime = join(rig.tmp, 'runtime');
    await mkdir(local);
    await mkdir(home);
    await mkdir(runtime, { mode: 0o700 });
    env = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, LANG: 'C.UTF-8', QT_QPA_PLATFORM: 'offscreen' };
    const proc = spawn('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((done, fail) =>
      proc.once('exit', (code) => (code === 0 ? done() : fail(new Error(`dbus-daemon exited with ${code}`)))),
    );
    const [address, pid] = out.trim().split('\n');
    bus = { address: address!, pid: Number(pid) };
    env.DBUS_SESSION_BUS_ADDRESS = bus.address;
  });

  after(async () => {
    if (bus) {
      for (const name of ['org.kde.kded5', 'org.kde.kcookiejar5', 'org.kde.kiod5']) {
        const pid = await ownerPid(name);
        if (pid) process.kill(pid, 'SIGTERM');
      }
      process.kill(bus.pid, 'SIGTERM');
    }
    await rig?.close();
  });

  fileManagerSession(
    () => rig,
    () => fm,
    () => local,
  );

  it('shows a real date for the root, not 1970', async () => {
    const out = await ok(['stat', url('/')]);
    const m = /MODIFICATION_TIME\s+(.+)/.exec(out);
    expect(m, out).not.to.equal(null);
    expect(m![1]).not.to.match(/1970/);
  });

  it('left no error in the server log', () => {
    expect(errorLines(rig)).to.deep.equal([]);
  });
});
