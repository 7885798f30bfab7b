// The drive as users run it, for the real clients: the `emulator` and `serve` commands as child
// processes (from source), and a view of what TeraBox stores, read over the emulator's own API.
// Neither server runs in the test process: a test that blocks on a FUSE mount (libuv's spawn waits
// for the child's chdir, a sync stat waits for davfs2) must not stall the server that mount waits on.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import type { EmulatorKnobs, EmulatorStats } from '../../src/emulator/index.js';
import { hashPassword } from '../../src/util/password.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import type { Quota, RemoteEntry, TeraBoxApi } from '../../src/terabox/api.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = join(REPO, 'src', 'cli.ts');

/** TeraBox as the emulator holds it, read through its web API (and its admin endpoint for stats). */
export interface TeraBoxView {
  url: string;
  /** Every file and folder, by absolute path (the root excluded). */
  tree(): Promise<Map<string, RemoteEntry>>;
  /** One path's entry, or null. */
  entry(path: string): Promise<RemoteEntry | null>;
  /** The MD5 of a stored file's bytes, downloaded as a TeraBox client would. */
  md5(path: string): Promise<string>;
  /** The whole file (for small files). */
  read(path: string): Promise<Buffer>;
  quota(): Promise<Quota>;
  stats(): Promise<EmulatorStats>;
  resetStats(): Promise<void>;
  /** Changes the emulator's knobs (faults, latency, ...) while it runs. */
  setKnobs(knobs: Partial<EmulatorKnobs>): Promise<void>;
}

export interface DriveRig {
  /** The WebDAV URL, ending in `/`. */
  url: string;
  /** `http://127.0.0.1:PORT`, for request paths written by hand. */
  origin: string;
  terabox: TeraBoxView;
  /** A temp dir the test may use; removed by close(). */
  tmp: string;
  /** The serve process's log lines (JSON) so far. */
  logLines(): { level: number; msg: string; [key: string]: unknown }[];
  /** Files left in serve's spool folder (uploads in flight or leaked). */
  spoolLeftovers(): Promise<string[]>;
  /** What serve keeps locally (read from its state DB and overlay folder; stop serve first for a settled view). */
  localState(): Promise<LocalState>;
  /** The account every request must use, when the rig was started with one. */
  user?: { name: string; password: string };
  /** Its Authorization header for hand-made requests (empty when anonymous). */
  auth: Record<string, string>;
  /** SIGTERM to serve: resolves its exit code (0 = a clean shutdown). */
  stopServe(): Promise<number | null>;
  /**
   * Stops serve cleanly and starts it again on the same data (a new port: url and origin change),
   * optionally in another upload mode.
   */
  restartServe(opts?: { uploadMode?: UploadMode }): Promise<void>;
  /** Waits until serve has no commit pending or running (write-back commits in the background). */
  settled(): Promise<void>;
  /** Stops both processes, removes the temp dir (kept with TBW_CLIENTS_KEEP=1, serve's log in it). */
  close(): Promise<void>;
}

export interface LocalState {
  /** Paths the overlay holds (0-byte files and OS junk), sorted. */
  overlayPaths: string[];
  /** Content files in the overlay folder that no overlay row points to. */
  orphanContent: string[];
  /** Locks not yet expired. */
  locks: { root: string; owner: string }[];
  /** Paths with dead properties. */
  propPaths: string[];
}

export type UploadMode = 'write-back' | 'write-through';

export interface RigOptions {
  /** Prefix of the temp dir's name. */
  name: string;
  knobs?: Partial<EmulatorKnobs>;
  /** Serve with this one Basic-auth user (anonymous access is off then). */
  user?: { name: string; password: string };
  /** upload.mode of serve (default: the product's, write-back). */
  uploadMode?: UploadMode;
  /** server.publicUrl of serve: the address a reverse proxy gives the drive. */
  publicUrl?: string;
}

interface Child {
  proc: ChildProcess;
  output(): string;
  /** SIGTERM, SIGKILL after 15 s; resolves the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `cli.ts args` and waits until its output matches `ready`. */
async function startCli(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  const child: Child = {
    proc,
    output: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        try {
          return await exited;
        } finally {
          clearTimeout(killer);
        }
      }
      return exited;
    },
  };
  const deadline = Date.now() + 30_000;
  while (!ready.test(output)) {
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      await child.stop();
      throw new Error(`${args[0]} did not start (exit ${proc.exitCode})\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return child;
}

/**
 * Polls serve's status API until no commit is pending or running (failed ones stay and are errors in
 * the log). Every look at TeraBox waits for this first: in write-back mode a client's request is
 * answered before TeraBox holds the file.
 */
async function waitSettled(origin: string, auth: Record<string, string>): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const res = await request(`${origin}/.well-known/terabox-webdav/status.json`, { headers: auth });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status.json answered ${res.statusCode}: ${body}`);
    const { totals } = (JSON.parse(body) as { uploads: { totals: { pending: number; active: number } } }).uploads;
    if (totals.pending + totals.active === 0) return;
    if (Date.now() > deadline) throw new Error(`commits still pending after 10 minutes: ${body}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function teraboxView(url: string, api: TeraBoxApi, settled: () => Promise<void>): TeraBoxView {
  const download = async (path: string) => {
    const [entry] = await api.stat([path]);
    if (!entry || entry.isDir) throw new Error(`${path} is not a file on TeraBox`);
    return (await api.download(await api.downloadLink(entry))).body;
  };
  return {
    url,
    async tree() {
      await settled();
      const tree = new Map<string, RemoteEntry>();
      const walk = async (dir: string): Promise<void> => {
        for (const e of await api.list(dir)) {
          tree.set(e.path, e);
          if (e.isDir) await walk(e.path);
        }
      };
      await walk('/');
      return tree;
    },
    async entry(path) {
      await settled();
      return (await api.stat([path]))[0] ?? null;
    },
    async md5(path) {
      await settled();
      const hash = createHash('md5');
      for await (const chunk of await download(path)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    },
    async read(path) {
      await settled();
      const chunks: Buffer[] = [];
      for await (const chunk of await download(path)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    quota: async () => {
      await settled();
      return api.quota();
    },
    async stats() {
      await settled();
      const res = await request(`${url}/__emulator/stats`);
      return (await res.body.json()) as EmulatorStats;
    },
    async resetStats() {
      await settled();
      const res = await request(`${url}/__emulator/stats/reset`, { method: 'POST' });
      await res.body.dump();
    },
    async setKnobs(knobs) {
      const res = await request(`${url}/__emulator/knobs`, { method: 'POST', body: JSON.stringify(knobs) });
      const answer = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`the emulator refused knobs ${JSON.stringify(knobs)}: ${answer}`);
    },
  };
}

export async function startRig(opts: RigOptions): Promise<DriveRig> {
  const tmp = await mkdtemp(join(tmpdir(), `tbw-${opts.name}-`));
  const dataDir = join(tmp, 'drive');
  const children: Child[] = [];
  /** Output of serve runs that restartServe() ended. */
  let earlierOutput = '';
  let api: TeraBoxApi | undefined;
  const keep = Boolean(process.env.TBW_CLIENTS_KEEP);
  // A clean environment: no TERABOX_* from the caller's shell may change what is tested.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TERABOX_')));
  const logLevel = keep ? 'debug' : 'info';

  const close = async () => {
    for (const c of children.reverse()) await c.stop();
    await api?.close();
    if (keep) {
      await writeFile(join(tmp, 'serve.log'), earlierOutput + children.map((c) => c.output()).join('\n'));
      process.stderr.write(`kept ${tmp}\n`);
    } else {
      await rm(tmp, { recursive: true, force: true });
    }
  };

  try {
    const config = join(tmp, 'emulator.json');
    await writeFile(config, JSON.stringify({ emulator: { knobs: opts.knobs ?? {} } }));
    const emulator = await startCli(
      ['emulator', '--host', '127.0.0.1', '--port', '0', '--data', join(tmp, 'emulator'), '--config', config, '--log-level', logLevel],
      env,
      /^TERABOX_COOKIE='.*'$/m,
    );
    children.push(emulator);
    const upstream = /^TERABOX_UPSTREAM=(\S+)$/m.exec(emulator.output())![1]!;
    const cookie = /^TERABOX_COOKIE='(.*)'$/m.exec(emulator.output())![1]!;
    api = createTeraBoxClient({ baseUrl: upstream, cookie });

    const serveConfig = join(tmp, 'serve.json');
    const users = opts.user ? [{ name: opts.user.name, passwordHash: await hashPassword(opts.user.password) }] : [];
    const writeServeConfig = (mode?: UploadMode) =>
      writeFile(
        serveConfig,
        JSON.stringify({
          server: { users, ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}) },
          // The emulator limits no call rate here, and the suite is about clients: API pacing (5 calls/s
          // by default, halved on each 31034 the fault runs inject) would only stretch it to many minutes.
          terabox: { apiCallsPerSecond: 0 },
          ...(mode ? { upload: { mode } } : {}),
        }),
      );
    await writeServeConfig(opts.uploadMode);
    const startServe = () =>
      startCli(
        [
          'serve',
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--data',
          dataDir,
          '--upstream',
          upstream,
          '--config',
          serveConfig,
          '--log-level',
          logLevel,
        ],
        { ...env, TERABOX_COOKIE: cookie },
        /"msg":"serving WebDAV at /,
      );
    let serve = await startServe();
    children.push(serve);
    const urlOf = (c: Child) => /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/.exec(c.output())![1]!;
    const auth: Record<string, string> = opts.user
      ? { authorization: `Basic ${Buffer.from(`${opts.user.name}:${opts.user.password}`).toString('base64')}` }
      : {};
    const settled = () => waitSettled(rig.origin, auth);
    const rig: DriveRig = {
      url: urlOf(serve),
      origin: urlOf(serve).slice(0, -1),
      terabox: teraboxView(upstream, api, settled),
      tmp,
      user: opts.user,
      auth,
      logLines: () =>
        (earlierOutput + serve.output())
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level: number; msg: string }),
      spoolLeftovers: async () => {
        await settled();
        return readdir(join(dataDir, 'spool')).catch(() => []);
      },
      settled,
      localState: () => readLocalState(dataDir),
      stopServe: () => serve.stop(),
      async restartServe(restart = {}) {
        if (restart.uploadMode) await writeServeConfig(restart.uploadMode);
        const code = await serve.stop();
        if (code !== 0) throw new Error(`serve exited with ${code} on SIGTERM\n${serve.output()}`);
        earlierOutput += serve.output();
        children.splice(children.indexOf(serve), 1);
        serve = await startServe();
        children.push(serve);
        rig.url = urlOf(serve);
        rig.origin = rig.url.slice(0, -1);
      },
      close,
    };
    return rig;
  } catch (e) {
    await close();
    throw e;
  }
}

async function readLocalState(dataDir: string): Promise<LocalState> {
  const db = new Database(join(dataDir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT path, content FROM drive_overlay ORDER BY path').all() as { path: string; content: string | null }[];
    const referenced = new Set(rows.map((r) => r.content).filter((c): c is string => c !== null));
    const files = await readdir(join(dataDir, 'overlay')).catch(() => []);
    return {
      overlayPaths: rows.map((r) => r.path),
      orphanContent: files.filter((f) => !referenced.has(f)),
      locks: db.prepare('SELECT root, owner FROM dav_locks WHERE expires_at > ? ORDER BY root').all(Date.now()) as {
        root: string;
        owner: string;
      }[],
      propPaths: (db.prepare('SELECT DISTINCT path FROM dav_props ORDER BY path').all() as { path: string }[]).map((r) => r.path),
    };
  } finally {
    db.close();
  }
}

/** Serve's log lines at error level or worse (pino: 50 error, 60 fatal), as text for an assertion. */
export function errorLines(rig: DriveRig): string[] {
  return rig
    .logLines()
    .filter((l) => l.level >= 50)
    .map((l) => JSON.stringify(l));
}
